package io.ssebroker.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The PUBLISH body's structure as {@link IngestFrameEncoder} writes it, read back in place, in both protocol
 * versions; and each way a body can disagree with its frame.
 */
class PublishFrameReaderTest
{
    @Test
    void shouldLocateEveryFieldOfWhatTheEncoderWrites()
    {
        for (final long publisherSeq : new long[] {0, 42})
        {
            final ByteBuf frame = Unpooled.buffer();
            try
            {
                final byte[] topic = "ticker.AAPL".getBytes(StandardCharsets.US_ASCII);
                final byte[] event = "quote".getBytes(StandardCharsets.US_ASCII);
                final byte[] data = "{\"p\":1}".getBytes(StandardCharsets.UTF_8);
                frame.writeInt(0).writeByte(IngestFrameDescriptor.TYPE_PUBLISH);
                if (0 != publisherSeq)
                {
                    frame.writeLong(publisherSeq);
                }
                frame.writeShort(topic.length).writeBytes(topic).writeByte(event.length).writeBytes(event)
                    .writeInt(data.length).writeBytes(data);
                frame.setInt(0, frame.readableBytes() - 4);

                final PublishFrameReader reader = new PublishFrameReader();
                assertEquals(PublishFrameReader.OK, reader.wrap(frame, 5, frame.readableBytes() - 5, 0 != publisherSeq));
                assertEquals(publisherSeq, reader.publisherSequence());
                assertEquals("ticker.AAPL", frame.toString(reader.topicIndex(), reader.topicLength(), StandardCharsets.US_ASCII));
                assertEquals("quote", frame.toString(reader.eventIndex(), reader.eventLength(), StandardCharsets.US_ASCII));
                assertEquals("{\"p\":1}", frame.toString(reader.dataIndex(), (int)reader.dataLength(), StandardCharsets.UTF_8));
            }
            finally
            {
                frame.release();
            }
        }
    }

    @Test
    void shouldNameWhatDisagreesWithTheFrame()
    {
        final PublishFrameReader reader = new PublishFrameReader();
        assertEquals(PublishFrameReader.BODY_TOO_SHORT, wrap(reader, new byte[] {0, 1, 'a'}));
        assertEquals(PublishFrameReader.TOPIC_PAST_FRAME, wrap(reader, new byte[] {0, 9, 'a', 0, 0, 0, 0, 1}));
        assertEquals(PublishFrameReader.EVENT_PAST_FRAME, wrap(reader, new byte[] {0, 1, 'a', 5, 0, 0, 0, 1}));
        assertEquals(PublishFrameReader.DATA_LENGTH_MISMATCH, wrap(reader, new byte[] {0, 1, 'a', 0, 0, 0, 0, 2, 'x'}));
        assertEquals(PublishFrameReader.DATA_LENGTH_MISMATCH, wrap(reader, new byte[] {0, 1, 'a', 0, 0, 0, 0, 0, 'x'}));
        assertEquals(PublishFrameReader.OK, wrap(reader, new byte[] {0, 1, 'a', 0, 0, 0, 0, 1, 'x'}));
        // Data length as unsigned 32 bits: a huge value is a mismatch, not a negative length.
        assertEquals(PublishFrameReader.DATA_LENGTH_MISMATCH, wrap(reader, new byte[] {0, 1, 'a', 0, (byte)0xFF, (byte)0xFF, (byte)0xFF, (byte)0xFF, 'x'}));
        assertEquals(0xFFFFFFFFL, reader.dataLength());
    }

    private static int wrap(final PublishFrameReader reader, final byte[] body)
    {
        final ByteBuf buf = Unpooled.wrappedBuffer(body);
        try
        {
            return reader.wrap(buf, 0, body.length, false);
        }
        finally
        {
            buf.release();
        }
    }
}

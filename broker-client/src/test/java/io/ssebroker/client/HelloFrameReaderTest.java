package io.ssebroker.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * HELLO's structure as {@link IngestFrameEncoder} writes it, read back in place in both versions, and each way a
 * body can disagree with its frame.
 */
class HelloFrameReaderTest
{
    @Test
    void shouldLocateTheFieldsOfBothVersions()
    {
        final byte[] token = "secret".getBytes(StandardCharsets.UTF_8);
        final byte[] name = "feed".getBytes(StandardCharsets.US_ASCII);
        final byte[] id = "pub-1".getBytes(StandardCharsets.US_ASCII);
        check(frame(out -> IngestFrameEncoder.encodeHello(out, token, name)), 1, "");
        check(frame(out -> IngestFrameEncoder.encodeHello(out, token, name, id)), 2, "pub-1");
    }

    @Test
    void shouldNameWhatIsWrong()
    {
        final HelloFrameReader reader = new HelloFrameReader();
        assertEquals(HelloFrameReader.BAD_MAGIC, wrap(reader, new byte[] {1, 2, 3}));
        assertEquals(HelloFrameReader.BAD_MAGIC, wrap(reader, new byte[] {'X', 'S', 'E', 'B', 1, 0, 0, 0, 0}));
        assertEquals(HelloFrameReader.UNKNOWN_VERSION, wrap(reader, new byte[] {'S', 'S', 'E', 'B', 9, 0, 0, 0, 0}));
        assertEquals(9, reader.version());
        assertEquals(HelloFrameReader.TOKEN_PAST_FRAME, wrap(reader, new byte[] {'S', 'S', 'E', 'B', 1, 0, 5, 0, 0}));
        assertEquals(HelloFrameReader.LENGTHS_MISMATCH, wrap(reader, new byte[] {'S', 'S', 'E', 'B', 1, 0, 0, 0, 1}));
        assertEquals(HelloFrameReader.LENGTHS_MISMATCH, wrap(reader, new byte[] {'S', 'S', 'E', 'B', 2, 0, 0, 0, 0}));
        assertEquals(HelloFrameReader.OK, wrap(reader, new byte[] {'S', 'S', 'E', 'B', 1, 0, 0, 0, 0}));
    }

    private static void check(final ByteBuf frame, final int version, final String publisherId)
    {
        try
        {
            final HelloFrameReader reader = new HelloFrameReader();
            assertEquals(HelloFrameReader.OK, reader.wrap(frame, 5, frame.readableBytes() - 5));
            assertEquals(version, reader.version());
            assertEquals("secret", frame.toString(reader.tokenIndex(), reader.tokenLength(), StandardCharsets.UTF_8));
            assertEquals("feed", frame.toString(reader.nameIndex(), reader.nameLength(), StandardCharsets.US_ASCII));
            assertEquals(publisherId,
                frame.toString(reader.publisherIdIndex(), reader.publisherIdLength(), StandardCharsets.US_ASCII));
        }
        finally
        {
            frame.release();
        }
    }

    private static ByteBuf frame(final Consumer<ByteBuf> encoder)
    {
        final ByteBuf out = Unpooled.buffer();
        encoder.accept(out);
        return out;
    }

    private static int wrap(final HelloFrameReader reader, final byte[] body)
    {
        final ByteBuf buf = Unpooled.wrappedBuffer(body);
        try
        {
            return reader.wrap(buf, 0, body.length);
        }
        finally
        {
            buf.release();
        }
    }
}

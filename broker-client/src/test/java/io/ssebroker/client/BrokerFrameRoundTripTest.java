package io.ssebroker.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The broker's frames as {@link BrokerFrameEncoder} writes them (the bytes the server's ingest handler sends) and
 * as {@link IngestFrameDecoder} reads them back: the two halves of the wire format agree, byte for byte and field
 * for field, in one cumulation as a socket read delivers several.
 */
class BrokerFrameRoundTripTest
{
    @Test
    void shouldDecodeEveryFrameTheBrokerEncodes()
    {
        final ByteBuf wire = Unpooled.buffer();
        BrokerFrameEncoder.writeWelcome(wire, IngestFrameDescriptor.VERSION_2, 1_049_088, 1_048_576, 4096, 1_700_000_000_000L,
            77, 8192, 120_000);
        BrokerFrameEncoder.writeAck(wire, 1, 3, 1_700_000_000_005L);
        BrokerFrameEncoder.writeError(wire, 4, IngestErrorCode.INVALID_TOPIC, "bad topic".getBytes(StandardCharsets.UTF_8));
        BrokerFrameEncoder.writePong(wire, 0x1234_5678_9ABCL);
        assertEquals(BrokerFrameEncoder.welcomeFrameBytes(IngestFrameDescriptor.VERSION_2) + 4 + 1 + 20 +
            BrokerFrameEncoder.errorFrameBytes("bad topic".getBytes(StandardCharsets.UTF_8)) + 4 + 1 + 8, wire.readableBytes());

        final List<String> frames = new ArrayList<>();
        final EmbeddedChannel channel = new EmbeddedChannel(new IngestFrameDecoder(new IngestFrameDecoder.FrameHandler()
        {
            @Override
            public void onWelcome(final int version, final long maxFrameBytes, final long maxDataBytes,
                final long maxInFlight, final long epochId, final long lastPublisherSeq)
            {
                frames.add("WELCOME " + version + " " + maxFrameBytes + " " + maxDataBytes + " " + maxInFlight + " " +
                    epochId + " " + lastPublisherSeq);
            }

            @Override
            public void onAck(final long firstSeq, final long count, final long firstId)
            {
                frames.add("ACK " + firstSeq + " " + count + " " + firstId);
            }

            @Override
            public void onPong(final long nonce)
            {
                frames.add("PONG " + nonce);
            }

            @Override
            public void onError(final long seq, final int code, final String message)
            {
                frames.add("ERROR " + seq + " " + code + " " + message);
            }
        }));
        // One byte per read: every frame is split, and the decoder must cumulate across reads.
        final int total = wire.readableBytes();
        for (int i = 0; i < total; i++)
        {
            channel.writeInbound(wire.readRetainedSlice(1));
        }
        wire.release();
        assertEquals(List.of(
            "WELCOME 2 1049088 1048576 4096 1700000000000 77",
            "ACK 1 3 1700000000005",
            "ERROR 4 " + IngestErrorCode.INVALID_TOPIC + " bad topic",
            "PONG " + 0x1234_5678_9ABCL), frames);
        assertNull(channel.readInbound());
        channel.finishAndReleaseAll();
    }
}

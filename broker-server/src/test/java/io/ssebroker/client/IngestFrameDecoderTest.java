package io.ssebroker.client;

import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.ssebroker.server.testing.FuzzInputs;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class IngestFrameDecoderTest
{
    @Test
    void shouldFailWithCorruptedFrameWhenWelcomeHasNoBody()
    {
        // Found by IngestFrameDecoderFuzzTest: the version byte was read before the body length was
        // checked, past the end of these five bytes, and the decoder did not stop after that failure.
        final List<String> frames = new ArrayList<>();
        final EmbeddedChannel channel = new EmbeddedChannel(new IngestFrameDecoder(new IngestFrameDecoder.FrameHandler()
        {
            @Override
            public void onWelcome(final int version, final long maxFrameBytes, final long maxDataBytes,
                final long maxInFlight, final long epochId, final long lastPublisherSeq)
            {
                frames.add("WELCOME");
            }

            @Override
            public void onAck(final long firstSeq, final long count, final long firstId)
            {
                frames.add("ACK");
            }

            @Override
            public void onPong(final long nonce)
            {
                frames.add("PONG");
            }

            @Override
            public void onError(final long seq, final int code, final String message)
            {
                frames.add("ERROR");
            }
        }));

        final IngestFrameException failure = assertThrows(IngestFrameException.class,
            () -> channel.writeInbound(Unpooled.wrappedBuffer(FuzzInputs.hex("00000001 02"))));
        assertEquals("frame type 0x2 body must be 21 bytes, was 0", failure.getMessage());

        channel.writeInbound(Unpooled.wrappedBuffer(FuzzInputs.hex("00000015 11 0000000000000001 00000001 0000000000000007")));
        assertEquals(List.of(), frames);
        assertFalse(channel.finishAndReleaseAll());
    }
}

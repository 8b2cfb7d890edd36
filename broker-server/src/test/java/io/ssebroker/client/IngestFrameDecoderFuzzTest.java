package io.ssebroker.client;

import java.util.ArrayList;
import java.util.List;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.ssebroker.server.testing.FuzzInputs;
import io.ssebroker.test.LeakDetectionExtension;
import org.junit.jupiter.api.AfterAll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Coverage-guided fuzzing (Jazzer) of the publisher's side of the ingest protocol: arbitrary
 * broker-to-publisher bytes through {@link IngestFrameDecoder} in an {@code EmbeddedChannel}.
 * <p>
 * Input layout: byte 0 cuts the rest into reads (its low four bits: 0 all at once, k: 2^(k-1)
 * bytes per read); bytes 1… are what the broker sent.
 * <p>
 * Pass means: the only exception is {@link IngestFrameException}, as the decoder documents; after
 * it, nothing more is decoded; the frames decoded and the failure are the same whether the bytes
 * arrive at once or in pieces; no leak at paranoid.
 */
class IngestFrameDecoderFuzzTest
{
    private static final long LEAK_CHECK_EVERY = 100_000;
    private static long inputs;

    @AfterAll
    static void report()
    {
        System.out.println("fuzz ingest-frame-decoder: " + inputs + " inputs");
    }

    @FuzzTest(maxDuration = "60s")
    void shouldDecodeOrFailWithCorruptedFrameAlikeInWholeAndInPieces(final byte[] input)
    {
        final int pieceBytes = input.length > 0 ? FuzzInputs.pieceBytes(input[0]) : 0;
        final int start = Math.min(1, input.length);
        final Decoded whole = decode(input, start, 0);
        final Decoded pieces = decode(input, start, pieceBytes);
        // Described only for a failure's message: describing every input cost a fifth of the run.
        assertEquals(whole.frames, pieces.frames,
            () -> FuzzInputs.describe(input) + ": frames, all at once and in pieces of " + pieceBytes);
        assertEquals(whole.failure, pieces.failure,
            () -> FuzzInputs.describe(input) + ": failure, all at once and in pieces of " + pieceBytes);
        if (0 == ++inputs % LEAK_CHECK_EVERY)
        {
            final List<String> leaks = LeakDetectionExtension.detectNow();
            assertTrue(leaks.isEmpty(), () -> "leaks within the last " + LEAK_CHECK_EVERY + " inputs:\n" + leaks);
        }
    }

    private static Decoded decode(final byte[] input, final int start, final int pieceBytes)
    {
        final Decoded decoded = new Decoded();
        final EmbeddedChannel channel = new EmbeddedChannel(new IngestFrameDecoder(decoded));
        try
        {
            final int piece = pieceBytes <= 0 ? Math.max(1, input.length - start) : pieceBytes;
            for (int i = start; i < input.length; i += piece)
            {
                final int framesBefore = decoded.frames.size();
                try
                {
                    channel.writeInbound(Unpooled.copiedBuffer(input, i, Math.min(piece, input.length - i)));
                }
                catch (final IngestFrameException ex)
                {
                    if (null != decoded.failure)
                    {
                        fail(FuzzInputs.describe(input) + ": a second failure after '" + decoded.failure + "': " + ex);
                    }
                    decoded.failure = ex.getMessage();
                    continue;
                }
                catch (final RuntimeException ex)
                {
                    throw new AssertionError(FuzzInputs.describe(input) + ": undocumented exception", ex);
                }
                if (null != decoded.failure && decoded.frames.size() != framesBefore)
                {
                    fail(FuzzInputs.describe(input) + ": decoded " + decoded.frames.subList(framesBefore, decoded.frames.size()) +
                        " after '" + decoded.failure + "'");
                }
            }
            return decoded;
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }

    /** The frames as text, in order, and the first failure's message. */
    private static final class Decoded implements IngestFrameDecoder.FrameHandler
    {
        final List<String> frames = new ArrayList<>();
        String failure;

        @Override
        public void onWelcome(final int version, final long maxFrameBytes, final long maxDataBytes, final long maxInFlight,
            final long epochId, final long lastPublisherSeq)
        {
            frames.add("WELCOME " + version + " " + maxFrameBytes + " " + maxDataBytes + " " + maxInFlight + " " + epochId +
                " " + lastPublisherSeq);
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
    }
}

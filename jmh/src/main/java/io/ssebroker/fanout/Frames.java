package io.ssebroker.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.ssebroker.bench.Payloads;
import io.ssebroker.codec.SseFrameEncoder;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;

/**
 * Encodes SSE frames for fan-out benchmarks the way the sequencer does, with
 * {@link SseFrameEncoder}, from an event name and ASCII data held in a direct buffer.
 * <p>
 * <b>Threading:</b> confined to one thread (the encoder's scratch view).
 */
public final class Frames
{
    private static final byte[] EVENT = "tick".getBytes(StandardCharsets.US_ASCII);

    private final UnsafeBuffer source;
    private final SseFrameEncoder encoder;
    private final int dataLength;

    public Frames(final int dataLength)
    {
        this.dataLength = dataLength;
        this.source = Payloads.directSource(EVENT, Payloads.letters(dataLength));
        this.encoder = new SseFrameEncoder();
    }

    /**
     * @return a new frame for event {@code id}; the caller owns its one reference.
     */
    public ByteBuf encode(final ByteBufAllocator alloc, final long id)
    {
        final int payloadLength = SseFrameEncoder.payloadLength(id, EVENT.length, source, EVENT.length, dataLength);
        final int frameLength = SseFrameEncoder.frameLength(payloadLength);
        final ByteBuf frame = alloc.directBuffer(frameLength, frameLength);
        encoder.encode(frame, id, source, 0, EVENT.length, EVENT.length, dataLength, payloadLength);
        return frame;
    }

    /**
     * @return {@code count} frames for ids {@code firstId...} back to back in one new buffer, as the sequencer
     *         encodes a hot topic's frames into its slab; the caller owns its one reference.
     */
    public ByteBuf encodeRun(final ByteBufAllocator alloc, final long firstId, final int count)
    {
        final ByteBuf run = alloc.directBuffer();
        for (int i = 0; i < count; i++)
        {
            final ByteBuf frame = encode(alloc, firstId + i);
            run.writeBytes(frame);
            frame.release();
        }
        return run;
    }
}

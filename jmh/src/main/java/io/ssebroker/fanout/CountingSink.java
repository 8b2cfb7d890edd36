package io.ssebroker.fanout;

import io.netty.buffer.ByteBuf;

/**
 * An in-memory subscriber for benchmarks: counts frames and bytes and releases each frame at once,
 * as a socket that takes everything would. Always writable.
 * <p>
 * <b>Threading:</b> confined to the fan-out's loop (the benchmark thread).
 */
final class CountingSink implements SubscriberSink
{
    long frames;
    long bytes;
    long flushes;
    boolean closed;

    @Override
    public boolean isWritable()
    {
        return true;
    }

    @Override
    public void writeEvent(final ByteBuf frame, final int payloadOffset, final int payloadLength)
    {
        frames++;
        bytes += frame.readableBytes();
        frame.release();
    }

    @Override
    public void writeControl(final ByteBuf sseText)
    {
        sseText.release();
    }

    @Override
    public void writeHeartbeat()
    {
    }

    @Override
    public SinkConnection endBatch()
    {
        flushes++;
        return null;
    }

    @Override
    public void close(final EvictionReason reason)
    {
        closed = true;
    }
}

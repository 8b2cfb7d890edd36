package io.ssebroker.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * A subscriber backed by a Netty {@link EmbeddedChannel} with an empty pipeline, so each write goes
 * through the channel's pipeline and outbound buffer like a socket channel's, without a socket.
 * {@link #endBatch()} flushes and then takes and releases everything that reached the outbound queue,
 * standing in for the kernel accepting the bytes.
 * <p>
 * <b>Threading:</b> confined to the fan-out's loop (the benchmark thread); {@code EmbeddedChannel}
 * treats every thread as its event loop.
 */
final class EmbeddedChannelSink implements SubscriberSink
{
    private final EmbeddedChannel channel = new EmbeddedChannel();
    long frames;
    long bytes;
    boolean closed;

    @Override
    public boolean isWritable()
    {
        return channel.isWritable();
    }

    @Override
    public void writeEvent(final ByteBuf frame, final int payloadOffset, final int payloadLength)
    {
        channel.write(frame, channel.voidPromise());
    }

    @Override
    public void writeControl(final ByteBuf sseText)
    {
        channel.write(sseText, channel.voidPromise());
    }

    @Override
    public void writeHeartbeat()
    {
    }

    @Override
    public SinkConnection endBatch()
    {
        flush();
        return null;
    }

    private void flush()
    {
        channel.flush();
        ByteBuf out;
        while (null != (out = channel.readOutbound()))
        {
            frames++;
            bytes += out.readableBytes();
            out.release();
        }
    }

    @Override
    public void close(final EvictionReason reason)
    {
        closed = true;
    }

    /**
     * Closes the channel and releases anything still queued.
     */
    void finish()
    {
        channel.finishAndReleaseAll();
    }
}

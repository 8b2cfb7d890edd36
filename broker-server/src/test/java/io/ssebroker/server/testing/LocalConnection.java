package io.ssebroker.server.testing;

import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * The client end of one in-memory connection to a {@link LocalPorts} port: writes exact bytes, in
 * pieces of a chosen size, and records every byte the broker answers and whether it closed.
 * <p>
 * <b>Reference counting:</b> every buffer the broker writes is copied and released on arrival, so a
 * leak report names the broker, never this client.
 * <p>
 * <b>Threading:</b> the test thread; the recording happens on the channel's loop and is handed over
 * under the recorder's lock.
 */
public final class LocalConnection implements AutoCloseable
{
    /** Bytes kept per connection; an endless stream beyond them is only counted. */
    private static final int MAX_KEPT_BYTES = 1 << 20;

    private final Channel channel;
    private final Received received;

    LocalConnection(final Channel channel, final Received received)
    {
        this.channel = channel;
        this.received = received;
    }

    /**
     * Writes {@code bytes} in pieces of {@code pieceBytes} (all at once when 0), each flushed on its
     * own, so the broker reads them as separate reads. The writes run as one task on the
     * connection's loop, which is the broker's: once a later task on that loop has run, the broker
     * has read them all, unless it stopped reading. The array must not change until then.
     */
    public LocalConnection write(final byte[] bytes, final int offset, final int length, final int pieceBytes)
    {
        final int piece = pieceBytes <= 0 ? Math.max(1, length) : pieceBytes;
        channel.eventLoop().execute(() ->
        {
            for (int i = 0; i < length; i += piece)
            {
                final int n = Math.min(piece, length - i);
                channel.writeAndFlush(Unpooled.copiedBuffer(bytes, offset + i, n), channel.voidPromise());
            }
        });
        return this;
    }

    public LocalConnection write(final byte[] bytes, final int pieceBytes)
    {
        return write(bytes, 0, bytes.length, pieceBytes);
    }

    /**
     * Waits until {@code condition}, evaluated under the recorder's lock on every arrival, holds.
     *
     * @return false when it did not hold within the timeout.
     */
    public boolean await(final Condition condition, final Duration timeout)
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        synchronized (received)
        {
            while (!condition.holds(received.bytes, received.length, received.closed))
            {
                final long leftNs = deadlineNs - System.nanoTime();
                if (leftNs <= 0)
                {
                    return false;
                }
                try
                {
                    TimeUnit.NANOSECONDS.timedWait(received, leftNs);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * @return the bytes received so far (at most the first MiB) and whether the broker had closed,
     *         read together.
     */
    public Snapshot snapshot()
    {
        synchronized (received)
        {
            return new Snapshot(Arrays.copyOf(received.bytes, received.length), received.closed);
        }
    }

    /** What had arrived at one moment, and whether the broker had closed by then. */
    public record Snapshot(byte[] bytes, boolean closed)
    {
    }

    /**
     * @return a copy of the bytes received so far (at most the first MiB).
     */
    public byte[] bytes()
    {
        synchronized (received)
        {
            return Arrays.copyOf(received.bytes, received.length);
        }
    }

    /**
     * @return true once the broker has closed the connection.
     */
    public boolean isClosed()
    {
        synchronized (received)
        {
            return received.closed;
        }
    }

    /**
     * Closes the client end and waits until the broker's end has seen it.
     */
    @Override
    public void close()
    {
        channel.close().syncUninterruptibly();
    }

    /** Tested on every arrival, under the recorder's lock. */
    @FunctionalInterface
    public interface Condition
    {
        boolean holds(byte[] bytes, int length, boolean closed);
    }

    /**
     * @return what reached the client end's {@code exceptionCaught}, or null: with no protocol of
     *         its own, nothing but a broken transport can put anything there.
     */
    public Throwable failure()
    {
        synchronized (received)
        {
            return received.failure;
        }
    }

    /** Copies what arrives, then releases it. */
    static final class Received extends ChannelInboundHandlerAdapter
    {
        private byte[] bytes = new byte[256];
        private int length;
        private boolean closed;
        private Throwable failure;

        @Override
        public void channelRead(final ChannelHandlerContext ctx, final Object msg)
        {
            try
            {
                if (msg instanceof ByteBuf)
                {
                    final ByteBuf buf = (ByteBuf)msg;
                    synchronized (this)
                    {
                        final int n = Math.min(buf.readableBytes(), MAX_KEPT_BYTES - length);
                        if (length + n > bytes.length)
                        {
                            bytes = Arrays.copyOf(bytes, Math.max(length + n, bytes.length * 2));
                        }
                        buf.getBytes(buf.readerIndex(), bytes, length, n);
                        length += n;
                        notifyAll();
                    }
                }
            }
            finally
            {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(final ChannelHandlerContext ctx)
        {
            synchronized (this)
            {
                closed = true;
                notifyAll();
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            // Pieces still being written when the broker closes fail to be written: that is the
            // broker's answer, not a failure of this end.
            if (!(cause instanceof ClosedChannelException))
            {
                synchronized (this)
                {
                    if (null == failure)
                    {
                        failure = cause;
                    }
                }
            }
            ctx.close();
        }
    }
}

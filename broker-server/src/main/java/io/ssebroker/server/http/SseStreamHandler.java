package io.ssebroker.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.ssebroker.codec.ChunkFraming;
import io.ssebroker.codec.SseControlFrames;
import io.ssebroker.fanout.EvictionReason;
import io.ssebroker.fanout.LoopFanOut;
import io.ssebroker.fanout.SinkConnection;
import io.ssebroker.fanout.SubscriberCursor;
import io.ssebroker.fanout.SubscriberSink;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.metrics.HttpMetrics;
import io.ssebroker.server.ConnectionErrors;

import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The only handler of a connection once it carries an event stream: it is the subscriber's
 * {@link SubscriberSink}, so the fan-out writes the shared pre-encoded chunks straight to the
 * channel (HTTP/1.0 clients get the same slices narrowed to their SSE bytes), and it forwards
 * writability changes (back-pressure) and the end of the connection. The connection is its own:
 * {@link #endBatch()} flushes it.
 * <p>
 * Inbound bytes after the request are discarded: an event stream has no further requests.
 * <p>
 * <b>Threading:</b> confined to the channel's event loop.
 */
final class SseStreamHandler extends ChannelInboundHandlerAdapter implements SubscriberSink
{
    private static final Logger LOG = Logger.getLogger(SseStreamHandler.class.getName());
    /** Longest wait for the end of a body to be taken by a client before the connection is reset. */
    private static final long END_OF_BODY_WAIT_MS = 5_000;

    private final LoopFanOut fanOut;
    private final BrokerCounters counters;
    private final HttpMetrics httpMetrics;
    private final boolean unchunked;
    private ChannelHandlerContext ctx;
    /**
     * Stream writes are not individually watched: a connection that fails is closed and unsubscribed as a
     * whole. Unlike {@code ctx.voidPromise()}, this one does not fire {@code exceptionCaught} for every frame
     * still queued when the connection closes (thousands for a reset slow subscriber).
     */
    private ChannelPromise unwatched;
    private SubscriberCursor cursor;

    /**
     * @param unchunked true for HTTP/1.0 clients: frames are sent without their chunk framing, which
     *                  is a matter of moving the duplicate's indexes, not of copying.
     */
    SseStreamHandler(
        final LoopFanOut fanOut, final BrokerCounters counters, final HttpMetrics httpMetrics, final boolean unchunked)
    {
        this.fanOut = fanOut;
        this.counters = counters;
        this.httpMetrics = httpMetrics;
        this.unchunked = unchunked;
    }

    @Override
    public void handlerAdded(final ChannelHandlerContext ctx)
    {
        this.ctx = ctx;
        this.unwatched = ctx.channel().unsafe().voidPromise();
    }

    void start(final int[] topicIndexes, final String lastEventId)
    {
        cursor = fanOut.subscribe(topicIndexes, lastEventId, this, System.nanoTime());
        if (!ctx.channel().isActive())
        {
            fanOut.remove(cursor);
        }
    }

    @Override
    public boolean isWritable()
    {
        return ctx.channel().isWritable();
    }

    @Override
    public void writeEvent(final ByteBuf frame, final int payloadOffset, final int payloadLength)
    {
        if (unchunked)
        {
            // Moving the slice's indexes, not copying: the payload position is recorded with the frame.
            final int start = frame.readerIndex() + payloadOffset;
            frame.setIndex(start, start + payloadLength);
        }
        ctx.write(frame, unwatched);
    }

    @Override
    public void writeControl(final ByteBuf sseText)
    {
        ctx.write(unchunked ? sseText : ChunkFraming.chunk(ctx.alloc(), sseText), unwatched);
    }

    @Override
    public void writeHeartbeat()
    {
        ctx.write(unchunked ? SseControlFrames.heartbeat() : ChunkFraming.heartbeatChunk(), unwatched);
    }

    @Override
    public SinkConnection endBatch()
    {
        ctx.flush();
        return null;
    }

    @Override
    public void close(final EvictionReason reason)
    {
        if (EvictionReason.SLOW == reason || !ctx.channel().isWritable())
        {
            // Its buffers are full and it does not read: a graceful end would wait behind them for
            // ever, holding our queue and the kernel's. Reset, which frees both at once; the client
            // reconnects with its last id.
            reset();
        }
        else if (unchunked)
        {
            ctx.close();
        }
        else
        {
            // Lapped or shutting down while still reading: end the body so the client reconnects
            // cleanly; a peer that stops reading now is closed after a bounded wait.
            ctx.writeAndFlush(ChunkFraming.endOfBody()).addListener(ChannelFutureListener.CLOSE);
            ctx.executor().schedule(this::reset, END_OF_BODY_WAIT_MS, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Closes with a reset (SO_LINGER 0): whatever is queued, here or in the kernel, is dropped now.
     */
    private void reset()
    {
        if (ctx.channel().isOpen())
        {
            ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
            ctx.close();
        }
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelWritabilityChanged(final ChannelHandlerContext ctx)
    {
        if (null != cursor && ctx.channel().isWritable())
        {
            fanOut.onWritable(cursor, System.nanoTime());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx)
    {
        if (null != cursor)
        {
            fanOut.remove(cursor);
        }
        counters.increment(Counter.STREAMS_CLOSED);
        httpMetrics.streamClosed(HttpMetrics.Protocol.HTTP_1_1);
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(final ChannelHandlerContext ctx, final Object evt)
    {
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        ConnectionErrors.onException(counters, LOG, "event stream", ctx, cause);
        ctx.close();
    }
}

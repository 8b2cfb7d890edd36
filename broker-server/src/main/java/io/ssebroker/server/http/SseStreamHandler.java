package io.ssebroker.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ResourceLeakDetector;
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
import io.ssebroker.server.edge.ConnectionErrors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

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
    private static final Logger LOG = LoggerFactory.getLogger(SseStreamHandler.class);
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
     * A run of frames lying back to back in one slab, queued here rather than written one by one: frames of a
     * topic are encoded one after the other into that topic's slab, so a subscriber catching up (a burst, a
     * replay, a slow reader getting writable again) takes many consecutive frames, which leave as one buffer.
     * One write and one outbound entry per run instead of per event keeps the heap a slow subscriber pins at
     * its bound small, and the gathering write short. Holds one reference: the first frame's.
     */
    private ByteBuf runFirst;
    /** The slab under {@link #runFirst}, past any slice or leak-detection wrapper. */
    private ByteBuf runSlab;
    /** Set once the channel is inactive; from then on frames are released, not queued. */
    private boolean inactive;
    private long runEndAddress;
    private int runBytes;

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
        return writableBytes() > 0;
    }

    @Override
    public long writableBytes()
    {
        // The run is not in the channel's count yet: the bound holds for both together. Netty gives 0 bytes before
        // unwritable once the channel is not writable.
        return Math.max(0, ctx.channel().bytesBeforeUnwritable() - (null == runFirst ? 0 : runBytes));
    }

    @Override
    public void writeEvent(final ByteBuf frame, final int payloadOffset, final int payloadLength)
    {
        if (inactive)
        {
            // The connection ended inside this batch (a write failed and closed it): nothing may be queued
            // here any more, since channelInactive, which drops the run, has already run.
            frame.release();
            return;
        }
        if (unchunked)
        {
            // Moving the slice's indexes, not copying: the payload position is recorded with the frame.
            final int start = frame.readerIndex() + payloadOffset;
            frame.setIndex(start, start + payloadLength);
            ctx.write(frame, unwatched);
            return;
        }
        if (null != runFirst)
        {
            if (frame.hasMemoryAddress() && frame.memoryAddress() + frame.readerIndex() == runEndAddress &&
                slabOf(frame) == runSlab)
            {
                // The next frame of the same slab: the run's reference keeps the slab, so this one goes.
                final int length = frame.readableBytes();
                runBytes += length;
                runEndAddress += length;
                frame.release();
                return;
            }
            writeRun();
        }
        final ByteBuf slab = frame.hasMemoryAddress() ? slabOf(frame) : null;
        if (null != slab && slab != frame && slab.hasMemoryAddress())
        {
            runFirst = frame;
            runSlab = slab;
            runBytes = frame.readableBytes();
            runEndAddress = frame.memoryAddress() + frame.readerIndex() + runBytes;
        }
        else
        {
            ctx.write(frame, unwatched);
        }
    }

    @Override
    public boolean takesFrameRuns()
    {
        return !unchunked;
    }

    @Override
    public void writeFrames(final ByteBuf frames, final int events)
    {
        if (inactive)
        {
            frames.release();
            return;
        }
        // Already one slice of its slab, taken through the slab's own reference (and leak tracker).
        writeRun();
        ctx.write(frames, unwatched);
    }

    /** Writes the queued run as one slice of its slab (or the single frame as it is). */
    private void writeRun()
    {
        final ByteBuf first = runFirst;
        if (null == first)
        {
            return;
        }
        final ByteBuf slab = runSlab;
        runFirst = null;
        runSlab = null;
        if (runBytes == first.readableBytes())
        {
            ctx.write(first, unwatched);
            return;
        }
        final int start = (int)(first.memoryAddress() + first.readerIndex() - slab.memoryAddress());
        final ByteBuf run = slab.retainedSlice(start, runBytes);
        if (ResourceLeakDetector.isEnabled())
        {
            // The run retains the slab past its leak-detection wrapper, whose tracker then never sees the
            // slab's last release when the run is the last holder (a stalled reader's queue outlives the
            // histories): a false leak report. With detection on, the first frame, which releases through the
            // wrapper, is kept until the run is written; one promise per run, tests and diagnosis only.
            ctx.write(run).addListener(future -> first.release());
            return;
        }
        first.release();
        ctx.write(run, unwatched);
    }

    /** The buffer a frame is a slice of: unwrapped through slices and leak-detection wrappers. */
    private static ByteBuf slabOf(final ByteBuf frame)
    {
        ByteBuf buf = frame;
        ByteBuf inner;
        while (null != (inner = buf.unwrap()))
        {
            buf = inner;
        }
        return buf;
    }

    /** Drops the queued run (the connection is being reset or is gone). */
    private void releaseRun()
    {
        if (null != runFirst)
        {
            runFirst.release();
            runFirst = null;
            runSlab = null;
        }
    }

    @Override
    public void writeControl(final ByteBuf sseText)
    {
        writeRun();
        ctx.write(unchunked ? sseText : ChunkFraming.chunk(ctx.alloc(), sseText), unwatched);
    }

    @Override
    public void writeHeartbeat()
    {
        writeRun();
        ctx.write(unchunked ? SseControlFrames.heartbeat() : ChunkFraming.heartbeatChunk(), unwatched);
    }

    @Override
    public SinkConnection endBatch()
    {
        writeRun();
        ctx.flush();
        return null;
    }

    @Override
    public void close(final EvictionReason reason)
    {
        if (EvictionReason.SLOW == reason || !isWritable())
        {
            releaseRun();
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
            writeRun();
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
        inactive = true;
        releaseRun();
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

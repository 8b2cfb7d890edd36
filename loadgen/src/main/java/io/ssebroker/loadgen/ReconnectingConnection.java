package io.ssebroker.loadgen;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.ssebroker.client.NettyTransport;

/**
 * The connection lifecycle {@link Http1Connection} and {@link H2cConnection} share: connect to the target,
 * from a local address when one is given, and after a failed connect or a lost connection try again once the
 * reconnect delay has passed, until stopped. Subclasses say what runs on the channel and what a failed connect
 * or a stop means for their streams.
 * <p>
 * <b>Self-inflicted drops:</b> each stream's drop plan is followed with one scheduled task at a time. At a planned
 * moment a stream that is connected and has an event id to resume after is dropped ({@link #drop}); one that is
 * not (still reconnecting from the previous drop, or nothing received yet) is tried again every
 * {@value #DROP_RETRY_MS} ms until the policy's deadline, then the drop is counted as not made. The reconnect
 * that follows is the ordinary one: after the reconnect delay, with {@code Last-Event-ID}.
 * <p>
 * <b>Threading:</b> all state is confined to {@link #loop}; {@link #start()} and {@link #stop()} hand their
 * work to it.
 */
abstract class ReconnectingConnection implements SubscriberConnection
{
    static final long DROP_RETRY_MS = 20;

    final EventLoop loop;
    final SubscribeTarget target;
    final long reconnectDelayMs;
    private final InetSocketAddress localAddress;
    private final Runnable connectTask = this::connect;
    private final ChannelFutureListener connectListener = this::onConnectComplete;

    /** The current (or last) connection's channel; null before the first connect. */
    Channel channel;
    /** Set once by {@link #stop()}: no reconnect after it. */
    boolean stopping;

    ReconnectingConnection(
        final EventLoop loop,
        final SubscribeTarget target,
        final InetSocketAddress localAddress,
        final long reconnectDelayMs)
    {
        this.loop = loop;
        this.target = target;
        this.localAddress = localAddress;
        this.reconnectDelayMs = reconnectDelayMs;
    }

    /**
     * {@inheritDoc}
     */
    public void start()
    {
        loop.execute(connectTask);
        for (final SubscriberStream stream : streams())
        {
            if (stream.hasDropLeft())
            {
                scheduleDrop(stream, stream.nextDropNs());
            }
        }
    }

    /**
     * {@inheritDoc}
     */
    public void stop()
    {
        loop.execute(
            () ->
            {
                stopping = true;
                finishStreams(System.nanoTime());
                if (null != channel)
                {
                    channel.close();
                }
            });
    }

    /**
     * Closes the books of this connection's streams at {@code nowNs}; called once, when stopping.
     */
    abstract void finishStreams(long nowNs);

    /**
     * @return the streams this connection carries.
     */
    abstract SubscriberStream[] streams();

    /**
     * Ends one connected stream on purpose, after {@link SubscriberStream#onSelfDrop}; the stream reconnects as
     * after any other end.
     */
    abstract void drop(SubscriberStream stream);

    /**
     * Adds this connection's handlers to the pipeline of a new channel.
     */
    abstract void initChannel(SocketChannel ch);

    /**
     * Counts a connect that failed; a reconnect is scheduled after it.
     */
    abstract void onConnectFailed(Throwable cause);

    /**
     * Connects again after the reconnect delay, unless stopping.
     */
    final void scheduleReconnect()
    {
        if (!stopping)
        {
            loop.schedule(connectTask, reconnectDelayMs, TimeUnit.MILLISECONDS);
        }
    }

    private void scheduleDrop(final SubscriberStream stream, final long atNs)
    {
        loop.schedule(() -> onDropDue(stream), Math.max(0, atNs - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void onDropDue(final SubscriberStream stream)
    {
        if (stopping || !stream.hasDropLeft())
        {
            return;
        }
        final long nowNs = System.nanoTime();
        if (stream.canDrop())
        {
            stream.onSelfDrop(nowNs);
            drop(stream);
        }
        else if (nowNs - stream.dropDeadlineNs() < 0)
        {
            scheduleDrop(stream, nowNs + TimeUnit.MILLISECONDS.toNanos(DROP_RETRY_MS));
            return;
        }
        else
        {
            stream.onDropNotMade();
        }
        if (stream.hasDropLeft())
        {
            scheduleDrop(stream, stream.nextDropNs());
        }
    }

    private void connect()
    {
        if (stopping)
        {
            return;
        }
        final Bootstrap bootstrap = new Bootstrap()
            .group(loop)
            .channel(NettyTransport.socketChannelClass(loop))
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
            .handler(new ChannelInitializer<SocketChannel>()
            {
                protected void initChannel(final SocketChannel ch)
                {
                    ReconnectingConnection.this.initChannel(ch);
                }
            });
        final ChannelFuture future = null == localAddress ?
            bootstrap.connect(target.remote()) : bootstrap.connect(target.remote(), localAddress);
        channel = future.channel();
        future.addListener(connectListener);
    }

    private void onConnectComplete(final ChannelFuture future)
    {
        if (!future.isSuccess())
        {
            onConnectFailed(future.cause());
            scheduleReconnect();
        }
    }
}

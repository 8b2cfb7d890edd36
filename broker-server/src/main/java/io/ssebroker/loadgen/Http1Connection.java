package io.ssebroker.loadgen;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.ssebroker.client.NettyTransport;

/**
 * One subscriber stream on its own HTTP/1.1 connection: a raw {@code GET} with {@code Accept: text/event-stream},
 * the response decoded by {@link Http1StreamDecoder}.
 * <p>
 * <b>Errors:</b> a failed connect or a refused response counts a connect error; a stream that ends counts a
 * disconnect; both retry after the reconnect delay, sending {@code Last-Event-ID} when the stream resumes.
 * <p>
 * <b>Threading:</b> all state is confined to {@link #loop}.
 */
final class Http1Connection implements SubscriberConnection, Http1StreamDecoder.ResponseListener
{
    private final EventLoop loop;
    private final SubscribeTarget target;
    private final InetSocketAddress localAddress;
    private final SubscriberStream stream;
    private final long reconnectDelayMs;
    private final Runnable connectTask = this::connect;
    private final ChannelFutureListener connectListener = this::onConnectComplete;

    private Channel channel;
    private boolean stopping;
    private boolean answered;

    Http1Connection(
        final EventLoop loop,
        final SubscribeTarget target,
        final InetSocketAddress localAddress,
        final SubscriberStream stream,
        final long reconnectDelayMs)
    {
        this.loop = loop;
        this.target = target;
        this.localAddress = localAddress;
        this.stream = stream;
        this.reconnectDelayMs = reconnectDelayMs;
    }

    /**
     * {@inheritDoc}
     */
    public void start()
    {
        loop.execute(connectTask);
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
                stream.finish(System.nanoTime());
                if (null != channel)
                {
                    channel.close();
                }
            });
    }

    /**
     * {@inheritDoc}
     */
    public void onResponseStarted(final long nowNs)
    {
        answered = true;
        stream.onConnected(nowNs);
    }

    /**
     * {@inheritDoc}
     */
    public void onResponseFailed(final int status, final String reason)
    {
        answered = true;
        stream.stats().increment(LoopStats.CONNECT_ERRORS);
        stream.stats().lastError("HTTP/1.1 subscribe: " + reason);
        channel.close();
    }

    /**
     * {@inheritDoc}
     */
    public void onResponseEnded()
    {
        channel.close();
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
                    ch.pipeline().addLast(new Http1StreamDecoder(stream.parser(), Http1Connection.this, System::nanoTime));
                    ch.pipeline().addLast(new Lifecycle());
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
            stream.stats().increment(LoopStats.CONNECT_ERRORS);
            stream.stats().lastError("connect: " + future.cause());
            scheduleReconnect();
        }
    }

    private void scheduleReconnect()
    {
        if (!stopping)
        {
            loop.schedule(connectTask, reconnectDelayMs, TimeUnit.MILLISECONDS);
        }
    }

    private String request()
    {
        final String lastEventId = stream.resumeFrom();
        return "GET " + target.path(stream.topic()) + " HTTP/1.1\r\n" +
            "Host: " + target.authority() + "\r\n" +
            "Accept: text/event-stream\r\n" +
            "Cache-Control: no-cache\r\n" +
            "User-Agent: sse-broker-loadgen\r\n" +
            (null == lastEventId ? "" : "Last-Event-ID: " + lastEventId + "\r\n") +
            "\r\n";
    }

    /**
     * Sends the request once connected and reconnects when the connection ends.
     */
    private final class Lifecycle extends ChannelInboundHandlerAdapter
    {
        public void channelActive(final ChannelHandlerContext ctx)
        {
            answered = false;
            ctx.writeAndFlush(ByteBufUtil.writeAscii(ctx.alloc(), request()), ctx.voidPromise());
            ctx.fireChannelActive();
        }

        public void channelInactive(final ChannelHandlerContext ctx)
        {
            if (!answered && !stopping)
            {
                stream.stats().increment(LoopStats.CONNECT_ERRORS);
                stream.stats().lastError("HTTP/1.1 connection closed before a response");
            }
            stream.onDisconnected(System.nanoTime());
            scheduleReconnect();
            ctx.fireChannelInactive();
        }

        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            stream.stats().lastError("HTTP/1.1 stream: " + cause);
            ctx.close();
        }
    }
}

package io.ssebroker.loadgen;

import java.net.InetSocketAddress;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;

/**
 * One subscriber stream on its own HTTP/1.1 connection: a raw {@code GET} with {@code Accept: text/event-stream},
 * the response decoded by {@link Http1StreamDecoder}.
 * <p>
 * <b>Errors:</b> a failed connect or a refused response counts a connect error; a stream that ends counts a
 * disconnect; both retry after the reconnect delay, sending {@code Last-Event-ID} when the stream resumes. A
 * self-inflicted drop closes the connection.
 * <p>
 * <b>Threading:</b> all state is confined to {@link #loop}.
 */
final class Http1Connection extends ReconnectingConnection implements Http1StreamDecoder.ResponseListener
{
    private final SubscriberStream stream;
    private final SubscriberStream[] streams;

    private boolean answered;

    Http1Connection(
        final EventLoop loop,
        final SubscribeTarget target,
        final InetSocketAddress localAddress,
        final SubscriberStream stream,
        final long reconnectDelayMs)
    {
        super(loop, target, localAddress, reconnectDelayMs);
        this.stream = stream;
        this.streams = new SubscriberStream[] {stream};
    }

    /**
     * {@inheritDoc}
     */
    SubscriberStream[] streams()
    {
        return streams;
    }

    /**
     * Closes the connection: HTTP/1.1 has no other way to end a response early.
     */
    void drop(final SubscriberStream stream)
    {
        channel.close();
    }

    /**
     * {@inheritDoc}
     */
    void finishStreams(final long nowNs)
    {
        stream.finish(nowNs);
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

    /**
     * {@inheritDoc}
     */
    void initChannel(final SocketChannel ch)
    {
        ch.pipeline().addLast(new Http1StreamDecoder(stream.parser(), this, System::nanoTime));
        ch.pipeline().addLast(new Lifecycle());
    }

    /**
     * {@inheritDoc}
     */
    void onConnectFailed(final Throwable cause)
    {
        stream.stats().increment(LoopStats.CONNECT_ERRORS);
        stream.stats().lastError("connect: " + cause);
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

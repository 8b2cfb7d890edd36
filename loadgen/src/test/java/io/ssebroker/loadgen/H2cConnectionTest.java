package io.ssebroker.loadgen;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * h2c subscribers against an in-process Netty HTTP/2 server that answers every stream with two SSE events.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class H2cConnectionTest
{
    private final NioEventLoopGroup serverGroup = new NioEventLoopGroup(1);
    private final ConcurrentLinkedQueue<String> requests = new ConcurrentLinkedQueue<>();
    private SubscriberSet subscribers;

    @AfterEach
    void stop() throws InterruptedException
    {
        if (null != subscribers)
        {
            subscribers.stop();
        }
        serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @Test
    void shouldMultiplexStreamsAndParseEventsOfEach() throws InterruptedException
    {
        final Channel server = new ServerBootstrap()
            .group(serverGroup)
            .channel(NioServerSocketChannel.class)
            .childHandler(new ChannelInitializer<SocketChannel>()
            {
                protected void initChannel(final SocketChannel ch)
                {
                    ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(), new SseResponder());
                }
            })
            .bind("127.0.0.1", 0).sync().channel();
        final int port = ((java.net.InetSocketAddress)server.localAddress()).getPort();

        final long nowNs = System.nanoTime();
        final Schedule schedule = new Schedule(nowNs, 1, 2, 0, TimeUnit.SECONDS.toNanos(60));
        subscribers = new SubscriberSet(
            new SubscribeTarget("http://127.0.0.1:" + port + "/events?topic={topic}", 2),
            "h2", 3, 0, 4, schedule, List.of(), 1, 100, true, nowNs, 0, DropPolicy.NONE, null, false);
        subscribers.openDue(System.nanoTime());

        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (subscribers.sum(LoopStats.RECEIVED) < 8 && deadlineNs - System.nanoTime() > 0)
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }

        assertEquals(8, subscribers.sum(LoopStats.RECEIVED));
        assertEquals(4, subscribers.sum(LoopStats.CONNECTED));
        assertEquals(0, subscribers.sum(LoopStats.CONNECT_ERRORS));
        assertEquals(0, subscribers.sum(LoopStats.GAPS));
        assertEquals(4, requests.size());
        assertTrue(requests.contains("GET /events?topic=t0 text/event-stream"), requests.toString());
        assertTrue(requests.contains("GET /events?topic=t1 text/event-stream"), requests.toString());
        server.close().sync();
    }

    /**
     * Answers each request stream with status 200 and two events whose payloads are load generator payloads.
     */
    private final class SseResponder extends SimpleChannelInboundHandler<Http2StreamFrame>
    {
        protected void channelRead0(final ChannelHandlerContext ctx, final Http2StreamFrame frame)
        {
            if (!(frame instanceof Http2HeadersFrame))
            {
                return;
            }
            final Http2HeadersFrame request = (Http2HeadersFrame)frame;
            requests.add(request.headers().method() + " " + request.headers().path() + " " +
                request.headers().get("accept"));
            ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers()
                .status("200")
                .add("content-type", "text/event-stream")).stream(request.stream()));
            final byte[] payload = new byte[Payload.MIN_BYTES];
            final StringBuilder events = new StringBuilder();
            for (int seq = 1; seq <= 2; seq++)
            {
                Payload.encode(payload, payload.length, seq, System.nanoTime());
                events.append("id: ").append(seq).append("\ndata: ")
                    .append(new String(payload, StandardCharsets.US_ASCII)).append("\n\n");
            }
            final ByteBuf body = ctx.alloc().buffer();
            body.writeCharSequence(events, StandardCharsets.US_ASCII);
            ctx.writeAndFlush(new DefaultHttp2DataFrame(body, false).stream(request.stream()));
        }
    }
}

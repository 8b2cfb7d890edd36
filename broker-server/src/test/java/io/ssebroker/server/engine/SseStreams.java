package io.ssebroker.server.engine;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpVersion;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Many SSE streams on one Netty client group, each counting the events it receives and checking
 * that ids only increase. Lines are parsed byte by byte from the de-chunked body.
 */
final class SseStreams implements AutoCloseable
{
    private static final io.netty.buffer.ByteBufAllocator CLIENT_ALLOCATOR =
        new io.netty.buffer.UnpooledByteBufAllocator(false, true);

    private final NioEventLoopGroup group = new NioEventLoopGroup(2);
    private final List<Stream> streams = new ArrayList<>();

    Stream open(final int port, final String pathAndQuery) throws InterruptedException
    {
        final Stream stream = new Stream();
        final Channel channel = new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            // The readers are test equipment: leak tracking (paranoid for the suite) stays on the
            // broker's buffers, not on every byte this client decodes.
            .option(ChannelOption.ALLOCATOR, CLIENT_ALLOCATOR)
            .handler(new ChannelInitializer<SocketChannel>()
            {
                @Override
                protected void initChannel(final SocketChannel ch)
                {
                    ch.pipeline().addLast(new HttpClientCodec(), stream);
                }
            })
            .connect("127.0.0.1", port)
            .sync()
            .channel();
        final DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, pathAndQuery);
        request.headers().set(HttpHeaderNames.HOST, "127.0.0.1:" + port);
        request.headers().set(HttpHeaderNames.ACCEPT, "text/event-stream");
        channel.writeAndFlush(request);
        stream.channel = channel;
        synchronized (streams)
        {
            streams.add(stream);
        }
        return stream;
    }

    @Override
    public void close()
    {
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** One stream's state; fields are written by the client loop and read by the test thread. */
    static final class Stream extends SimpleChannelInboundHandler<HttpObject>
    {
        final AtomicInteger events = new AtomicInteger();
        volatile long lastId = -1;
        volatile String orderViolation;
        volatile boolean ended;
        Channel channel;
        private final StringBuilder line = new StringBuilder(64);

        @Override
        protected void channelRead0(final ChannelHandlerContext ctx, final HttpObject msg)
        {
            if (msg instanceof HttpContent)
            {
                final ByteBuf content = ((HttpContent)msg).content();
                for (int i = content.readerIndex(), end = content.writerIndex(); i < end; i++)
                {
                    final byte b = content.getByte(i);
                    if ('\n' == b)
                    {
                        onLine();
                        line.setLength(0);
                    }
                    else if (line.length() < 64)
                    {
                        line.append((char)b);
                    }
                }
            }
        }

        private void onLine()
        {
            if (line.length() > 4 && line.charAt(0) == 'i' && line.charAt(1) == 'd' && line.charAt(2) == ':')
            {
                final long id = Long.parseLong(line.substring(4));
                if (id <= lastId && null == orderViolation)
                {
                    orderViolation = "id " + id + " after " + lastId;
                }
                lastId = id;
                events.incrementAndGet();
            }
        }

        @Override
        public void channelInactive(final ChannelHandlerContext ctx)
        {
            ended = true;
        }
    }
}

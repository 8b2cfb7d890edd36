package io.ssebroker.server.testing;

import java.util.concurrent.atomic.AtomicInteger;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import io.ssebroker.server.Broker;
import io.ssebroker.server.http.HttpServerInitializer;
import io.ssebroker.server.ingest.IngestServerInitializer;

/**
 * The broker's real HTTP and ingest pipelines ({@link HttpServerInitializer}, {@link
 * IngestServerInitializer}) behind in-memory ports of Netty's local transport, for tests that open
 * far more connections than sockets allow (a fuzzer opens one per input).
 * <p>
 * Both ends of every connection are registered on one of the broker's own worker loops, so the
 * handlers run where they run in production: the sequencer wakes that loop with acknowledgements
 * and a subscriber gets that loop's fan-out. An {@code EmbeddedChannel} cannot stand in here: its
 * loop is not thread-safe, and the sequencer hands work to the channel's loop from its own thread.
 * What differs from a socket: no kernel buffers, no source address (the per-address connection cap
 * does not apply), no half-close.
 * <p>
 * <b>Threading:</b> {@link #attach}, {@link #connectHttp}, {@link #connectIngest} and {@link #close}
 * from the test thread.
 */
public final class LocalPorts implements AutoCloseable
{
    private static final AtomicInteger PORTS = new AtomicInteger();

    private final EventLoop loop;
    private final Channel httpServer;
    private final Channel ingestServer;
    private final Bootstrap client;

    private LocalPorts(final EventLoop loop, final Channel httpServer, final Channel ingestServer, final Bootstrap client)
    {
        this.loop = loop;
        this.httpServer = httpServer;
        this.ingestServer = ingestServer;
        this.client = client;
    }

    /**
     * Binds an HTTP and an ingest port of the local transport for this broker, on one of its loops.
     */
    public static LocalPorts attach(final Broker broker)
    {
        final EventLoop loop = broker.eventLoops().next();
        final ByteBufAllocator alloc = null == broker.config().allocator() ?
            PooledByteBufAllocator.DEFAULT : broker.config().allocator();
        final int bufferBytes = broker.config().subscriberBufferBytes();
        final int port = PORTS.incrementAndGet();
        final Channel http = new ServerBootstrap()
            .group(loop, loop)
            .channel(LocalServerChannel.class)
            .childOption(ChannelOption.ALLOCATOR, alloc)
            .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(bufferBytes / 2, bufferBytes))
            .childHandler(new HttpServerInitializer(broker))
            .bind(new LocalAddress("broker-http-" + port))
            .syncUninterruptibly()
            .channel();
        final Channel ingest = new ServerBootstrap()
            .group(loop, loop)
            .channel(LocalServerChannel.class)
            .childOption(ChannelOption.ALLOCATOR, alloc)
            .childHandler(new IngestServerInitializer(broker))
            .bind(new LocalAddress("broker-ingest-" + port))
            .syncUninterruptibly()
            .channel();
        final Bootstrap client = new Bootstrap()
            .group(loop)
            .channel(LocalChannel.class)
            .option(ChannelOption.ALLOCATOR, alloc);
        return new LocalPorts(loop, http, ingest, client);
    }

    public LocalConnection connectHttp()
    {
        return connect(httpServer);
    }

    public LocalConnection connectIngest()
    {
        return connect(ingestServer);
    }

    private LocalConnection connect(final Channel server)
    {
        final LocalConnection.Received received = new LocalConnection.Received();
        final Channel channel = client.clone()
            .handler(new ChannelInitializer<LocalChannel>()
            {
                @Override
                protected void initChannel(final LocalChannel ch)
                {
                    ch.pipeline().addLast(received);
                }
            })
            .connect(server.localAddress())
            .syncUninterruptibly()
            .channel();
        return new LocalConnection(channel, received);
    }

    /**
     * Runs nothing on the broker loop that serves these ports and returns once it has: everything
     * queued on that loop before the call has run.
     */
    public void barrier()
    {
        loop.submit(() -> { }).syncUninterruptibly();
    }

    @Override
    public void close()
    {
        httpServer.close().syncUninterruptibly();
        ingestServer.close().syncUninterruptibly();
    }
}

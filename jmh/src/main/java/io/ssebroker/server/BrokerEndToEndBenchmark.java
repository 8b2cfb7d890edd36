package io.ssebroker.server;

import io.ssebroker.server.config.BrokerConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.AsciiString;
import io.netty.util.ByteProcessor;
import io.netty.util.ReferenceCountUtil;
import io.ssebroker.bench.Deliveries;
import io.ssebroker.bench.Payloads;
import io.ssebroker.client.IngestClient;
import io.ssebroker.client.NettyTransport;
import io.ssebroker.fanout.EvictionReason;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;

/**
 * End to end in one process over loopback: a real {@link Broker} on ephemeral ports, one
 * {@link IngestClient} publishing to one topic, and {@code subscribers} HTTP/1.1 clients reading
 * the event stream ({@code GET /events?topic=…}) with raw Netty channels that count events as the
 * bytes arrive.
 *
 * <h2>Method</h2>
 * One operation publishes one event ({@code tryPublish}, {@value #PAYLOAD_BYTES} bytes of data),
 * retrying while the client is back-pressured. The publisher may run at most {@value #WINDOW}
 * events ahead of the slowest subscriber; beyond that it waits, so the score is the rate at which
 * events are published <em>and delivered to every subscriber</em> (the two differ by at most the
 * window over an iteration). {@code publish:deliveries} is events written to sockets per second
 * (score × subscribers). The window stays below the topic's history so no subscriber is ever lapped.
 * At the end of the trial every subscriber must have received exactly every event; the benchmark
 * fails otherwise, and also if any subscriber was evicted. With {@code -prof gc},
 * {@code gc.alloc.rate.norm} is everything the JVM allocated — broker, publisher and subscriber
 * clients — per published event.
 * <p>
 * Everything — broker event loops, sequencer, publisher client, subscriber clients, the benchmark
 * thread — shares the machine's cores; on a small machine this measures the whole system's CPU
 * cost per delivery more than a latency.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "-Dio.netty.leakDetection.level=disabled",
    "-Xms1g",
    "-Xmx1g"})
public class BrokerEndToEndBenchmark
{
    static final int PAYLOAD_BYTES = 100;
    static final int WINDOW = 256;
    static final int HISTORY = 1000;

    private static final AsciiString TOPIC = AsciiString.cached("prices.eu.instrument-0");
    private static final AsciiString EVENT = AsciiString.cached("tick");
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);

    @Param({"10", "100"})
    int subscribers;

    private Broker broker;
    private IngestClient publisher;
    private EventLoopGroup subscriberGroup;
    private Channel[] channels;
    private EventCounter[] counters;
    private final byte[] data = Payloads.letters(PAYLOAD_BYTES);
    private long published;
    private long slowestDelivered;

    /**
     * Counts events in an SSE stream by the {@code "\nid: "} that starts each event's id line (the
     * chunk header before it ends in LF); works across reads. <b>Threading:</b> one event loop
     * writes {@link #events}; the benchmark thread reads it.
     */
    static final class EventCounter extends ChannelInboundHandlerAdapter implements ByteProcessor
    {
        private static final byte[] MARKER = "\nid: ".getBytes(StandardCharsets.US_ASCII);

        private final ByteBuf request;
        private int matched;
        private long count;
        volatile long events;

        EventCounter(final String path)
        {
            request = Unpooled.copiedBuffer(
                "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n",
                StandardCharsets.US_ASCII);
        }

        @Override
        public void channelActive(final ChannelHandlerContext ctx)
        {
            ctx.writeAndFlush(request);
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(final ChannelHandlerContext ctx, final Object msg)
        {
            try
            {
                if (msg instanceof ByteBuf)
                {
                    ((ByteBuf)msg).forEachByte(this);
                    events = count;
                }
            }
            finally
            {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public boolean process(final byte value)
        {
            if (MARKER[matched] == value)
            {
                if (++matched == MARKER.length)
                {
                    count++;
                    matched = 0;
                }
            }
            else
            {
                matched = MARKER[0] == value ? 1 : 0;
            }
            return true;
        }

        @Override
        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            ctx.close();
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException
    {
        Logger.getLogger("io.ssebroker").setLevel(java.util.logging.Level.WARNING);
        broker = Broker.start(BrokerConfig.defaults()
            .host("127.0.0.1")
            .httpPort(0)
            .ingestPort(0)
            .historyCount(HISTORY));

        subscriberGroup = NettyTransport.newEventLoopGroup(1, "bench-subscribers");
        final Bootstrap bootstrap = new Bootstrap()
            .group(subscriberGroup)
            .channel(NettyTransport.socketChannelClass(subscriberGroup))
            .option(ChannelOption.TCP_NODELAY, true);
        channels = new Channel[subscribers];
        counters = new EventCounter[subscribers];
        for (int i = 0; i < subscribers; i++)
        {
            final EventCounter counter = new EventCounter("/events?topic=" + TOPIC);
            counters[i] = counter;
            channels[i] = bootstrap.handler(counter).connect("127.0.0.1", broker.httpPort()).sync().channel();
        }
        final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
        while (broker.subscribers() < subscribers)
        {
            checkDeadline(deadlineNs, "subscribers to register: " + broker.subscribers() + " of " + subscribers);
            LockSupport.parkNanos(1_000_000);
        }

        publisher = IngestClient.connect(new IngestClient.Context()
            .host("127.0.0.1")
            .port(broker.ingestPort())
            .name("jmh"));
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        try
        {
            final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
            while (slowest() < published)
            {
                checkDeadline(deadlineNs, "delivery of " + published + " events, slowest has " + slowest());
                LockSupport.parkNanos(1_000_000);
            }
            for (final EventCounter counter : counters)
            {
                if (counter.events != published)
                {
                    throw new IllegalStateException("a subscriber received " + counter.events + " of " + published);
                }
            }
            for (final EvictionReason reason : EvictionReason.values())
            {
                if (0 != broker.evictions(reason))
                {
                    throw new IllegalStateException(broker.evictions(reason) + " subscribers evicted: " + reason);
                }
            }
        }
        finally
        {
            publisher.close();
            for (final Channel channel : channels)
            {
                if (null != channel)
                {
                    channel.close().awaitUninterruptibly();
                }
            }
            subscriberGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
            broker.close();
        }
    }

    @Benchmark
    public long publish(final Deliveries deliveries)
    {
        long sequence;
        while ((sequence = publisher.tryPublish(TOPIC, EVENT, data, 0, data.length)) < 0)
        {
            if (IngestClient.CLOSED == sequence)
            {
                throw new IllegalStateException("publisher connection closed, code " + publisher.closeCode());
            }
            LockSupport.parkNanos(10_000);
        }
        final long published = ++this.published;
        if (published - slowestDelivered > WINDOW)
        {
            awaitSlowest(published - WINDOW);
        }
        deliveries.deliveries += subscribers;
        return sequence;
    }

    private void awaitSlowest(final long target)
    {
        long slowest = slowest();
        if (slowest < target)
        {
            final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
            do
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new IllegalStateException(
                        "timed out waiting for subscribers to catch up: slowest at " + slowest + ", need " + target);
                }
                LockSupport.parkNanos(20_000);
                slowest = slowest();
            }
            while (slowest < target);
        }
        slowestDelivered = slowest;
    }

    private long slowest()
    {
        long min = Long.MAX_VALUE;
        for (final EventCounter counter : counters)
        {
            min = Math.min(min, counter.events);
        }
        return min;
    }

    private static void checkDeadline(final long deadlineNs, final String waitingFor)
    {
        if (System.nanoTime() - deadlineNs > 0)
        {
            throw new IllegalStateException("timed out waiting for " + waitingFor);
        }
    }
}

package io.ssebroker.server.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.ssebroker.bench.Deliveries;
import io.ssebroker.bench.EngineSetup;
import io.ssebroker.codec.SseFrameEncoder;
import io.ssebroker.fanout.FanOutStats;
import io.ssebroker.fanout.Frames;
import io.ssebroker.fanout.LoopFanOut;
import io.ssebroker.log.EventIds;
import io.ssebroker.log.EventLog;
import io.ssebroker.log.TopicRegistry;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.metrics.MetricsRegistry;
import io.ssebroker.server.metrics.HttpMetrics;
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

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One drain writing {@code events} events to {@code subscribers} HTTP/1.1 event streams over real loopback TCP
 * sockets: the syscall side of a delivery, which {@code LoopFanOutDrainBenchmark} (in-memory and
 * {@code EmbeddedChannel} sinks) leaves out.
 * <p>
 * The server side is the broker's own: each accepted connection's pipeline holds the production
 * {@link SseStreamHandler} as its subscriber sink (so runs of frames of one slab leave as one buffer, as in the
 * broker), on one event loop of the chosen transport that also runs the {@link LoopFanOut}. Each operation is one
 * task on that loop: append {@code events} frames (back to back in one buffer, as the sequencer's slab of a hot
 * topic holds them) to the log, publish, drain. The clients are plain sockets on a second event loop that read and
 * discard, like a subscriber that keeps up; the benchmark thread waits while they are more than 32 KiB per
 * connection behind, so no subscriber turns slow, and the teardown fails the run if any stalled, was evicted or
 * missed a byte.
 * <p>
 * Scores: time per drain (the primary score, including the hand-off of the task to the loop and back, about
 * 10-20 µs on these machines); {@code drain:deliveries}, time per delivery; {@code drain:loopCpuNs}, the fan-out
 * loop thread's CPU time per drain (user and system: the sends, and on loopback the receiver's TCP path they run);
 * divide by {@code subscribers × events} for CPU per delivery. On two cores the reader loop shares the machine,
 * as the load generator does in the load tests.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-Xms1g", "-Xmx1g"})
public class SocketFanOutBenchmark
{
    static final int HISTORY = 64;
    static final int PAYLOAD_BYTES = 100;
    /** Bytes a reader may be behind before the next drain waits for it. */
    static final long MAX_BEHIND_PER_CONNECTION = 32 * 1024;

    @Param({"100", "1000"})
    int subscribers;

    @Param({"1", "5", "10"})
    int events;

    /** {@code epoll} (the broker's default), {@code io_uring} or {@code nio}. */
    @Param({"epoll"})
    String transport;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private final AtomicLong received = new AtomicLong();
    private final List<Channel> clients = new ArrayList<>();
    private EventLoopGroup fanOutLoop;
    private EventLoopGroup readerLoop;
    private Channel server;
    private EventLog log;
    private LoopFanOut fanOut;
    private int topic;
    private ByteBuf run;
    private int frameLength;
    private long firstId;
    private long headId;
    private long expectedBytes;
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Runnable drainTask = this::appendAndDrain;
    private long lastDrainCpuNs;
    private long lastDrainDeliveries;

    private long iterationCpuNs;
    private long iterationDeliveries;
    private long iterationDrains;

    @Setup(Level.Iteration)
    public void startIteration()
    {
        iterationCpuNs = 0;
        iterationDeliveries = 0;
        iterationDrains = 0;
    }

    /** Prints the fan-out loop's CPU per delivery over the iteration (JMH shows it under the iteration's score). */
    @TearDown(Level.Iteration)
    public void endIteration()
    {
        System.out.printf("  loop CPU %.1f ns per delivery, %.1f µs per drain, %d drains%n",
            (double)iterationCpuNs / Math.max(1, iterationDeliveries),
            iterationCpuNs / 1000.0 / Math.max(1, iterationDrains), iterationDrains);
    }

    /** A subscriber that keeps up: counts and drops what arrives. */
    @ChannelHandler.Sharable
    private static final class Discard extends ChannelInboundHandlerAdapter
    {
        private final AtomicLong received;

        Discard(final AtomicLong received)
        {
            this.received = received;
        }

        @Override
        public void channelRead(final ChannelHandlerContext ctx, final Object msg)
        {
            received.addAndGet(((ByteBuf)msg).readableBytes());
            ReferenceCountUtil.release(msg);
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        final IoHandlerFactory handlers;
        final Class<? extends ServerChannel> serverClass;
        final Class<? extends SocketChannel> clientClass;
        if ("io_uring".equals(transport) && IoUring.isAvailable())
        {
            handlers = IoUringIoHandler.newFactory();
            serverClass = IoUringServerSocketChannel.class;
            clientClass = IoUringSocketChannel.class;
        }
        else if (!"nio".equals(transport) && Epoll.isAvailable())
        {
            handlers = EpollIoHandler.newFactory();
            serverClass = EpollServerSocketChannel.class;
            clientClass = EpollSocketChannel.class;
        }
        else
        {
            handlers = NioIoHandler.newFactory();
            serverClass = NioServerSocketChannel.class;
            clientClass = NioSocketChannel.class;
        }
        fanOutLoop = new MultiThreadIoEventLoopGroup(1, handlers);
        readerLoop = new MultiThreadIoEventLoopGroup(1, handlers);

        final long epochId = EventIds.epochStartingNow();
        log = EngineSetup.eventLog(4096, epochId);
        final TopicRegistry topics = EngineSetup.topicRegistry(1000, 64L * 1024 * 1024, 1000);
        topic = EngineSetup.createTopics(topics, 1)[0];
        fanOut = new LoopFanOut(log, 0, topics, fanOutLoop.next(), alloc, epochId, 8192,
            TimeUnit.SECONDS.toNanos(10), TimeUnit.SECONDS.toNanos(15), 3000, new MetricsRegistry(64));
        firstId = epochId;
        headId = epochId - 1;
        run = new Frames(PAYLOAD_BYTES).encodeRun(alloc, epochId, events);
        frameLength = run.readableBytes() / events;
        if (frameLength * events != run.readableBytes())
        {
            throw new IllegalStateException("frames of unequal length: " + run.readableBytes() + " for " + events);
        }

        final BrokerCounters counters = new BrokerCounters();
        final HttpMetrics httpMetrics = new HttpMetrics(new MetricsRegistry(64));
        final int[] topicIndexes = {topic};
        server = new ServerBootstrap()
            .group(fanOutLoop)
            .channel(serverClass)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.SO_SNDBUF, 128 * 1024)
            .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(128 * 1024, 256 * 1024))
            .childHandler(new ChannelInitializer<>()
            {
                @Override
                protected void initChannel(final Channel ch)
                {
                    final SseStreamHandler sink = new SseStreamHandler(fanOut, counters, httpMetrics, false);
                    ch.pipeline().addLast(sink);
                    sink.start(topicIndexes, null);
                }
            })
            .bind("127.0.0.1", 0).sync().channel();

        final Bootstrap client = new Bootstrap()
            .group(readerLoop)
            .channel(clientClass)
            .option(ChannelOption.TCP_NODELAY, true)
            .handler(new Discard(received));
        for (int i = 0; i < subscribers; i++)
        {
            clients.add(client.connect(server.localAddress()).sync().channel());
        }
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (subscribers != fanOutLoop.next().submit(fanOut::subscriberCount).get())
        {
            if (System.nanoTime() > deadlineNs)
            {
                throw new IllegalStateException("subscribed " + fanOut.subscriberCount() + " of " + subscribers);
            }
            Thread.sleep(10);
        }
        // Every stream starts with the same preamble chunk: wait until they all arrived and nothing more comes.
        long seen = -1;
        while (received.get() != seen || 0 == seen || 0 != seen % subscribers)
        {
            if (System.nanoTime() > deadlineNs)
            {
                throw new IllegalStateException("preambles: " + received.get() + " bytes for " + subscribers);
            }
            seen = received.get();
            Thread.sleep(200);
        }
        expectedBytes = received.get();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (received.get() < expectedBytes && System.nanoTime() < deadlineNs)
        {
            Thread.sleep(10);
        }
        final FanOutStats stats = fanOut.stats();
        final long stalls = stats.stalls();
        final int left = fanOutLoop.next().submit(fanOut::subscriberCount).get();
        for (final Channel channel : clients)
        {
            channel.close().sync();
        }
        server.close().sync();
        fanOutLoop.next().submit(fanOut::release).get();
        run.release();
        fanOutLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        readerLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        if (received.get() != expectedBytes || 0 != stalls || subscribers != left)
        {
            throw new IllegalStateException("readers got " + received.get() + " of " + expectedBytes + " bytes; stalls "
                + stalls + ", subscribers left " + left + " of " + subscribers + " after " + (headId - firstId + 1)
                + " events");
        }
    }

    @Benchmark
    public long drain(final Deliveries deliveries) throws Exception
    {
        fanOutLoop.next().submit(drainTask).get();
        deliveries.deliveries += lastDrainDeliveries;
        iterationDeliveries += lastDrainDeliveries;
        iterationCpuNs += lastDrainCpuNs;
        iterationDrains++;
        expectedBytes += (long)subscribers * events * frameLength;
        final long limit = MAX_BEHIND_PER_CONNECTION * subscribers;
        while (expectedBytes - received.get() > limit)
        {
            Thread.onSpinWait();
        }
        return headId;
    }

    /** On the fan-out loop: the sequencer's side (append, publish) and the loop's drain. */
    private void appendAndDrain()
    {
        final long cpuBefore = threads.getCurrentThreadCpuTime();
        final FanOutStats stats = fanOut.stats();
        final long before = stats.deliveries();
        final int payloadLength = SseFrameEncoder.payloadLengthOfFrame(frameLength);
        final long nowNs = System.nanoTime();
        for (int i = 0; i < events; i++)
        {
            final long id = ++headId;
            // The reader's reference to the APPEND; the history releases it when it trims the event.
            run.retain();
            log.append(topic, id, id - HISTORY, run, run.readerIndex() + i * frameLength, frameLength, payloadLength,
                nowNs);
        }
        log.publish(headId);
        fanOut.drain(nowNs);
        lastDrainDeliveries = stats.deliveries() - before;
        lastDrainCpuNs = threads.getCurrentThreadCpuTime() - cpuBefore;
    }
}

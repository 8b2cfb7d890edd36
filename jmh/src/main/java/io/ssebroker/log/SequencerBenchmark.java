package io.ssebroker.log;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.ssebroker.bench.EngineSetup;
import io.ssebroker.bench.Payloads;
import io.ssebroker.ingest.IngestRing;
import io.ssebroker.ingest.PublisherSession;
import io.ssebroker.ingest.PublisherSessions;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Events per second through {@link Sequencer#doWork()}: read from the ingest ring, assign the id,
 * compute the SSE frame length, allocate a pooled direct frame, encode it once, account retention,
 * append to the {@link EventLog}, then once per batch publish the log and acknowledge the publisher.
 * Target: at least 10 million events/s on one core (score ≥ 10 ops/µs), with no allocation per
 * event ({@code -prof gc}: {@code gc.alloc.rate.norm} ≈ 0 B/op).
 *
 * <h2>Method</h2>
 * Before each invocation (not timed) the ring is filled with {@value #EVENTS} publishes (one
 * sequencer batch) from a registered {@link PublisherSession}, round-robin over {@value #TOPICS}
 * topics. The timed part calls {@code doWork()} until the ring is empty. After each invocation (not
 * timed) the log's single reader releases its frame references and marks the entries consumed, as
 * an event loop would, so neither the pool nor the log fills. The publisher's wake-up runs on a
 * direct executor and acknowledges at once.
 * <p>
 * The fork makes the JMH worker thread behave like the broker's sequencer thread, a Netty
 * {@code FastThreadLocalThread}: {@code io.netty.allocator.useCacheForAllThreads=true} gives it a
 * pooled-allocator thread cache and {@code io.netty.recycler.batchFastThreadLocalOnly=false} its
 * recycler batch (Netty 4.1 grants both only to such threads by default).
 * <p>
 * {@code gc.alloc.rate.norm} counts every thread of the fork, so it includes the reader's release
 * of the frames, which in the broker happens on the event loops.
 * <p>
 * Each iteration also prints the benchmark thread's on-CPU time per event (from
 * {@link ThreadMXBean#getCurrentThreadCpuTime()}), a figure that holds on a shared machine where the
 * wall-clock score does not.
 * <p>
 * Frame bytes per event (id of 16 digits, event name {@code tick}) are printed at the end of the
 * trial: 63, 147 and 1072 for payloads of 16, 100 and 1024 bytes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "-Dio.netty.leakDetection.level=disabled",
    "-Dio.netty.allocator.useCacheForAllThreads=true",
    "-Dio.netty.recycler.batchFastThreadLocalOnly=false",
    "-Xms1g",
    "-Xmx1g"})
public class SequencerBenchmark
{
    static final int EVENTS = 4096;
    static final int TOPICS = 4;

    private static final int RING_BYTES = 16 * 1024 * 1024;
    private static final int LOG_CAPACITY = 64 * 1024;
    private static final byte[] EVENT = "tick".getBytes(StandardCharsets.US_ASCII);
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    @Param({"16", "100", "1024"})
    int payloadBytes;

    /**
     * Global history budget. At 512 MiB only the per-topic limit (1,000 events) trims; at 1 MiB the
     * global budget binds too and the sequencer runs a trimming episode every 64 KiB of frames.
     */
    @Param({"512"})
    int historyBudgetMiB;

    private IngestRing ingest;
    private IngestRing.Producer producer;
    private EventLog log;
    private Sequencer sequencer;
    private PublisherSession session;
    private ByteBuf src;
    private int[] topicIndexes;
    private long eventsAtInvocationStart;
    private long cpuNs;
    private long cpuEvents;

    @Setup(Level.Trial)
    public void setUp()
    {
        final long epochId = EventIds.epochStartingNow();
        ingest = new IngestRing(RING_BYTES);
        producer = ingest.newProducer();
        log = EngineSetup.eventLog(LOG_CAPACITY, epochId);
        final TopicRegistry topics = EngineSetup.topicRegistry(1000, 4L * 1024 * 1024, 100_000);
        topicIndexes = EngineSetup.createTopics(topics, TOPICS);
        final PublisherSessions sessions = new PublisherSessions();
        session = sessions.register(EVENTS, Runnable::run, s -> s.acknowledged(s.sequenced()));
        sequencer = new Sequencer(
            ingest,
            log,
            topics,
            sessions,
            PooledByteBufAllocator.DEFAULT,
            historyBudgetMiB * 1024L * 1024,
            epochId,
            EVENTS,
            () -> { });

        src = Payloads.pooledSource(EVENT, Payloads.priceJson(payloadBytes));
    }

    @Setup(Level.Invocation)
    public void fillRing()
    {
        final PublisherSession session = this.session;
        final ByteBuf src = this.src;
        for (int i = 0; i < EVENTS; i++)
        {
            final long sequence = session.peekSequence();
            session.markPending(sequence);
            if (!producer.offer(
                session.id(), sequence, topicIndexes[i % TOPICS], src, 0, EVENT.length, EVENT.length, payloadBytes))
            {
                throw new IllegalStateException("ingest ring full while filling");
            }
            session.nextSequence();
        }
        eventsAtInvocationStart = sequencer.writer().eventsAppended();
    }

    @Setup(Level.Iteration)
    public void resetCpuTime()
    {
        cpuNs = 0;
        cpuEvents = 0;
    }

    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public int sequence()
    {
        final Sequencer sequencer = this.sequencer;
        final IngestRing ingest = this.ingest;
        // Two clock reads per 4096 events: noise well below the error on a shared machine.
        final long startCpuNs = THREADS.getCurrentThreadCpuTime();
        int work = 0;
        do
        {
            work += sequencer.doWork();
        }
        while (ingest.hasMessages());
        cpuNs += THREADS.getCurrentThreadCpuTime() - startCpuNs;
        cpuEvents += EVENTS;
        return work;
    }

    /**
     * Prints the on-CPU time per event, which unlike the score does not grow when other processes
     * take the core away from the benchmark thread.
     */
    @TearDown(Level.Iteration)
    public void printCpuTime()
    {
        if (cpuEvents > 0)
        {
            final double nsPerEvent = (double)cpuNs / cpuEvents;
            System.out.printf("[on-CPU %.1f ns/event = %.2f M events/s per busy core] ", nsPerEvent, 1000.0 / nsPerEvent);
        }
    }

    /**
     * The event loop's side: take the published entries and release the frame reference each
     * APPEND carries for this (only) reader.
     */
    @TearDown(Level.Invocation)
    public void consumeLog()
    {
        final long sequenced = sequencer.writer().eventsAppended() - eventsAtInvocationStart;
        if (EVENTS != sequenced || !session.isIdle())
        {
            throw new IllegalStateException(
                "sequenced " + sequenced + " of " + EVENTS + ", publisher idle " + session.isIdle());
        }
        final EventLog log = this.log;
        final long published = log.published();
        for (long s = log.consumed(0); s < published; s++)
        {
            if (EventLog.APPEND == log.kind(s))
            {
                log.frameBuffer(s).release();
            }
        }
        log.consumed(0, published);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        sequencer.close();
        System.out.printf("%nframe bytes per event: %.1f%n",
            (double)sequencer.writer().bytesEncoded() / sequencer.writer().eventsAppended());
        src.release();
    }
}

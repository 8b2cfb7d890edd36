package io.ssebroker.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.ssebroker.bench.Deliveries;
import io.ssebroker.codec.SseFrameEncoder;
import io.ssebroker.bench.EngineSetup;
import io.ssebroker.log.EventIds;
import io.ssebroker.log.EventLog;
import io.ssebroker.log.TopicRegistry;
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

import java.util.concurrent.TimeUnit;

/**
 * Fan-out of one event to {@code subscribers} live subscribers of one topic on one event loop:
 * the sequencer side appends the event to the {@link EventLog} and publishes it, then
 * {@link LoopFanOut#drain} applies it to the history, writes a retained duplicate of the shared
 * frame to every subscriber, flushes each once and trims the history (kept at {@value #HISTORY}
 * events, releasing the oldest frame).
 *
 * <ul>
 *   <li>{@code sink = memory}: a {@link CountingSink} that releases each frame at once, so the
 *       score is the fan-out's own cost.</li>
 *   <li>{@code sink = embedded}: a Netty {@code EmbeddedChannel} per subscriber; writes go through
 *       its pipeline and outbound buffer, and each flush hands them over and releases them — the
 *       channel-side cost of a socket write without the system call.</li>
 * </ul>
 * The score is per event (to all subscribers); {@code drainOneEvent:deliveries} is time per
 * delivery, the figure to compare across subscriber counts. Every subscriber was registered with
 * {@link LoopFanOut#subscribe} before the measurement. All events share one encoded frame: the
 * fan-out never looks at the bytes.
 * <p>
 * The fork gives the JMH worker thread the pooled-allocator cache and recycler batch that a Netty
 * event loop thread ({@code FastThreadLocalThread}) has by default.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "-Dio.netty.leakDetection.level=disabled",
    "-Dio.netty.allocator.useCacheForAllThreads=true",
    "-Dio.netty.recycler.batchFastThreadLocalOnly=false",
    "-Xms1g",
    "-Xmx1g"})
public class LoopFanOutDrainBenchmark
{
    static final int HISTORY = 64;
    static final int PAYLOAD_BYTES = 100;

    @Param({"1", "100", "10000"})
    int subscribers;

    @Param({"memory", "embedded"})
    String sink;

    /**
     * Whether the event carries its ingest time, as every published event does in the broker: the loop then
     * records ingest-to-write latency (one clock read per drain, one histogram record per event).
     */
    @Param({"true", "false"})
    boolean stamped;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private EventLog log;
    private LoopFanOut fanOut;
    private int topic;
    private ByteBuf frame;
    private long firstId;
    private long headId;
    private SubscriberSink[] sinks;

    @Setup(Level.Trial)
    public void setUp()
    {
        final long epochId = EventIds.epochStartingNow();
        log = EngineSetup.eventLog(1024, epochId);
        final TopicRegistry topics = EngineSetup.topicRegistry(1000, 64L * 1024 * 1024, 1000);
        topic = EngineSetup.createTopics(topics, 1)[0];
        fanOut = EngineSetup.loopFanOut(log, topics, alloc, epochId);
        firstId = epochId;
        headId = epochId - 1;
        frame = new Frames(PAYLOAD_BYTES).encode(alloc, epochId);

        final int[] topicIndexes = {topic};
        sinks = new SubscriberSink[subscribers];
        for (int i = 0; i < subscribers; i++)
        {
            sinks[i] = "embedded".equals(sink) ? new EmbeddedChannelSink() : new CountingSink();
            fanOut.subscribe(topicIndexes, null, sinks[i], System.nanoTime());
        }
        if (subscribers != fanOut.subscriberCount())
        {
            throw new IllegalStateException("registered " + fanOut.subscriberCount() + " of " + subscribers);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        final long events = headId - firstId + 1;
        if (0 != fanOut.stats().stalls() || subscribers != fanOut.subscriberCount())
        {
            throw new IllegalStateException("subscribers stalled or were evicted: stalls " + fanOut.stats().stalls());
        }
        for (final SubscriberSink s : sinks)
        {
            final long received = s instanceof EmbeddedChannelSink ? ((EmbeddedChannelSink)s).frames : ((CountingSink)s).frames;
            if (events != received)
            {
                throw new IllegalStateException("a subscriber received " + received + " of " + events + " events");
            }
        }
        for (final SubscriberSink s : sinks)
        {
            if (s instanceof EmbeddedChannelSink)
            {
                ((EmbeddedChannelSink)s).finish();
            }
        }
        fanOut.release();
        frame.release();
    }

    @Benchmark
    public int drainOneEvent(final Deliveries deliveries)
    {
        final long id = ++headId;
        // The reader's reference to the APPEND; the history releases it when it trims the event.
        frame.retain();
        log.append(topic, id, id - HISTORY, frame, frame.readerIndex(), frame.readableBytes(),
            SseFrameEncoder.payloadLengthOfFrame(frame.readableBytes()), stamped ? System.nanoTime() : 0);
        log.publish(id);
        final FanOutStats stats = fanOut.stats();
        final long before = stats.deliveries();
        final int applied = fanOut.drain(System.nanoTime());
        deliveries.deliveries += stats.deliveries() - before;
        return applied;
    }
}

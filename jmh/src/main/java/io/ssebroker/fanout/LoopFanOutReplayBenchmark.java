package io.ssebroker.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.ssebroker.bench.EngineSetup;
import io.ssebroker.log.EventIds;
import io.ssebroker.log.EventLog;
import io.ssebroker.log.TopicRegistry;
import org.openjdk.jmh.annotations.AuxCounters;
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

import java.util.concurrent.TimeUnit;

/**
 * One event loop's history: appending sequenced events to it, and replaying it to a subscriber that
 * resumes with {@code Last-Event-ID}.
 *
 * <ul>
 *   <li>{@code replay}: {@link LoopFanOut#subscribe} with a {@code Last-Event-ID} just before the
 *       oldest of {@code retained} events, so the cursor writes all of them (retained duplicates of
 *       the shared frames) to a {@link CountingSink} that releases them, then
 *       {@link LoopFanOut#remove}. The score is per subscribe; {@code replay:events} is per replayed
 *       event.</li>
 *   <li>{@code append}: the sequencer side appends {@value #APPEND_BATCH} events to the
 *       {@link EventLog} with a per-topic trim that keeps {@code retained} events, and
 *       {@link LoopFanOut#drain} applies them to the history (no subscribers) and trims, releasing
 *       the oldest frames. The score is per event.</li>
 * </ul>
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
public class LoopFanOutReplayBenchmark
{
    static final int APPEND_BATCH = 256;
    static final int PAYLOAD_BYTES = 100;

    @Param({"100", "1000"})
    int retained;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private EventLog log;
    private LoopFanOut fanOut;
    private int[] topicIndexes;
    private String lastEventId;
    private CountingSink sink;
    private ByteBuf sharedFrame;
    private long headId;

    /** Events replayed in the iteration; in this mode reported as time per event. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Replayed
    {
        public long events;

        @Setup(Level.Iteration)
        public void reset()
        {
            events = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp()
    {
        final long epochId = EventIds.epochStartingNow();
        log = EngineSetup.eventLog(64 * 1024, epochId);
        final TopicRegistry topics = EngineSetup.topicRegistry(Math.max(1000, retained), 64L * 1024 * 1024, 1000);
        topicIndexes = EngineSetup.createTopics(topics, 1);
        final int topic = topicIndexes[0];
        fanOut = EngineSetup.loopFanOut(log, topics, alloc, epochId);

        final Frames frames = new Frames(PAYLOAD_BYTES);
        headId = epochId - 1;
        for (int i = 0; i < retained; i++)
        {
            final long id = ++headId;
            log.append(topic, id, -1, frames.encode(alloc, id));
        }
        log.publish(headId);
        fanOut.drain(System.nanoTime());
        if (retained != fanOut.retained(topic))
        {
            throw new IllegalStateException("history holds " + fanOut.retained(topic) + " of " + retained);
        }
        // Resume from just before the first retained event: everything retained is replayed.
        lastEventId = Long.toString(epochId - 1);
        sink = new CountingSink();
        sharedFrame = frames.encode(alloc, headId);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        if (sink.closed || fanOut.stats().resets() != 0)
        {
            throw new IllegalStateException("replay was reset or evicted: resets " + fanOut.stats().resets());
        }
        fanOut.release();
        sharedFrame.release();
    }

    @Benchmark
    public SubscriberCursor replay(final Replayed replayed)
    {
        final long before = sink.frames;
        final SubscriberCursor cursor = fanOut.subscribe(topicIndexes, lastEventId, sink, System.nanoTime());
        fanOut.remove(cursor);
        final long events = sink.frames - before;
        if (retained != events)
        {
            throw new IllegalStateException("replayed " + events + " of " + retained);
        }
        replayed.events += events;
        return cursor;
    }

    @Benchmark
    @OperationsPerInvocation(APPEND_BATCH)
    public int append()
    {
        final EventLog log = this.log;
        final int topic = topicIndexes[0];
        final ByteBuf frame = sharedFrame;
        final int retained = this.retained;
        long id = headId;
        for (int i = 0; i < APPEND_BATCH; i++)
        {
            id++;
            // One reference per APPEND for the single reader, released when the history trims it.
            frame.retain();
            log.append(topic, id, id - retained, frame);
        }
        headId = id;
        log.publish(id);
        return fanOut.drain(System.nanoTime());
    }
}

package io.ssebroker.bench;

import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBufAllocator;
import io.ssebroker.fanout.LoopFanOut;
import io.ssebroker.log.EventLog;
import io.ssebroker.log.TopicPolicy;
import io.ssebroker.log.TopicRegistry;

/**
 * The engine as the benchmarks build it in their trial setup: an {@link EventLog} with one reader
 * that starts just before the run's epoch, a {@link TopicRegistry} whose topics share one policy and
 * are named {@code prices.eu.instrument-<i>}, and a {@link LoopFanOut} that reads the log as the
 * only event loop. Each benchmark passes only what it varies.
 * <p>
 * <b>Threading:</b> the JMH thread running the trial setup.
 */
public final class EngineSetup
{
    private static final String TOPIC_PREFIX = "prices.eu.instrument-";
    private static final int FAN_OUT_MAX_BATCH = 8192;
    private static final long FAN_OUT_GRACE_NS = TimeUnit.SECONDS.toNanos(10);
    private static final long FAN_OUT_HEARTBEAT_NS = TimeUnit.SECONDS.toNanos(15);
    private static final long FAN_OUT_RETRY_MS = 3000;

    private EngineSetup()
    {
    }

    /**
     * @return the name of the benchmarks' topic {@code i}.
     */
    public static String topicName(final int i)
    {
        return TOPIC_PREFIX + i;
    }

    /**
     * A registry of at most {@code maxTopics} topics, each retaining up to {@code historyCount} events
     * and {@code historyBytes} bytes, without conflation.
     */
    public static TopicRegistry topicRegistry(final int historyCount, final long historyBytes, final int maxTopics)
    {
        return new TopicRegistry(name -> new TopicPolicy(historyCount, historyBytes, false), maxTopics);
    }

    /**
     * Creates topics {@code 0..count-1}.
     *
     * @return their indexes, in order.
     */
    public static int[] createTopics(final TopicRegistry topics, final int count)
    {
        final int[] indexes = new int[count];
        for (int i = 0; i < count; i++)
        {
            indexes[i] = topics.lookupOrCreate(topicName(i)).index();
        }
        return indexes;
    }

    /**
     * A log with one reader whose first event will be {@code epochId}.
     */
    public static EventLog eventLog(final int capacity, final long epochId)
    {
        return new EventLog(capacity, 1, epochId - 1);
    }

    /**
     * The fan-out of the log's only reader, running tasks on the calling thread.
     */
    public static LoopFanOut loopFanOut(
        final EventLog log, final TopicRegistry topics, final ByteBufAllocator alloc, final long epochId)
    {
        return new LoopFanOut(
            log, 0, topics, Runnable::run, alloc, epochId, FAN_OUT_MAX_BATCH, FAN_OUT_GRACE_NS, FAN_OUT_HEARTBEAT_NS,
            FAN_OUT_RETRY_MS);
    }
}

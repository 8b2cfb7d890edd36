package io.ssebroker.fanout;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;
import io.ssebroker.metrics.MetricsRegistry;
import io.ssebroker.metrics.MetricsRegistry.Kind;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Counters of one {@link LoopFanOut}, registered with the broker's {@link MetricsRegistry} under the label
 * {@code loop}. <b>Threading:</b> each counter has one writer, the fan-out's event loop, which updates it with
 * ordered (release) stores, at most once per batch for deliveries; any thread reads them.
 */
public final class FanOutStats
{
    /** Largest latency recorded, in microseconds (60 s); larger values are recorded as this. */
    public static final long MAX_LATENCY_US = 60_000_000L;
    /** Largest lag recorded, in events; larger values are recorded as this. */
    public static final long MAX_LAG_EVENTS = 1L << 30;

    /**
     * Ingest-to-write latency of each event this loop applied, in microseconds. Single writer (the loop,
     * allocation-free {@code recordValue}); one reader at a time takes interval histograms.
     */
    private final SingleWriterRecorder latencyUs = new SingleWriterRecorder(1, MAX_LATENCY_US, 2);
    /** Events each subscriber of this loop was behind at the last timer tick; replaced whole, read by any thread. */
    private volatile Histogram lagEvents = new Histogram(1, MAX_LAG_EVENTS, 2);
    private final AtomicCounter deliveries;
    private final AtomicCounter drains;
    private final AtomicCounter deliveredBytes;
    private final AtomicCounter stalls;
    private final AtomicCounter conflations;
    private final AtomicCounter resets;
    private final AtomicCounter deepReplays;
    private final AtomicCounter deepReplayFailures;
    private final AtomicCounter deepReplayEvents;
    private final AtomicCounter heartbeats;
    private final AtomicCounter lingers;
    private final AtomicCounter subscribers;
    private final AtomicCounter[] evictions = new AtomicCounter[EvictionReason.values().length];

    /**
     * @param registry where the counters are registered.
     * @param loop     the fan-out's reader index, its {@code loop} label.
     */
    public FanOutStats(final MetricsRegistry registry, final int loop)
    {
        final String index = Integer.toString(loop);
        deliveries = registry.counter("events_delivered", Kind.COUNTER, "loop", index);
        drains = registry.counter("fanout_drains", Kind.COUNTER, "loop", index);
        deliveredBytes = registry.counter("event_bytes_delivered", Kind.COUNTER, "loop", index);
        stalls = registry.counter("subscriber_stalls", Kind.COUNTER, "loop", index);
        conflations = registry.counter("subscriber_conflations", Kind.COUNTER, "loop", index);
        resets = registry.counter("subscriber_resets_sent", Kind.COUNTER, "loop", index);
        deepReplays = registry.counter("deep_replays", Kind.COUNTER, "loop", index);
        deepReplayFailures = registry.counter("deep_replay_failures", Kind.COUNTER, "loop", index);
        deepReplayEvents = registry.counter("deep_replay_events", Kind.COUNTER, "loop", index);
        heartbeats = registry.counter("heartbeats_sent", Kind.COUNTER, "loop", index);
        lingers = registry.counter("subscriber_writes_lingered", Kind.COUNTER, "loop", index);
        subscribers = registry.counter("subscribers", Kind.GAUGE, "loop", index);
        for (final EvictionReason reason : EvictionReason.values())
        {
            evictions[reason.ordinal()] = registry.counter(
                "subscribers_evicted", Kind.COUNTER, "loop", index, "reason", reason.metricLabel());
        }
    }

    /**
     * @param events events written since the last call.
     * @param bytes  their SSE bytes (the event text, without any transport framing).
     */
    void delivered(final long events, final long bytes)
    {
        if (0 != events)
        {
            deliveries.getAndAddOrdered(events);
            deliveredBytes.getAndAddOrdered(bytes);
        }
    }

    /** A drain that applied log entries: one wake-up of the loop's fan-out. */
    void drained()
    {
        drains.incrementOrdered();
    }

    void stalled()
    {
        stalls.incrementOrdered();
    }

    void conflated()
    {
        conflations.incrementOrdered();
    }

    void resetSent()
    {
        resets.incrementOrdered();
    }

    void deepReplayStarted()
    {
        deepReplays.incrementOrdered();
    }

    void deepReplayFailed()
    {
        deepReplayFailures.incrementOrdered();
    }

    void deepReplayed(final int events)
    {
        deepReplayEvents.getAndAddOrdered(events);
    }

    /** @param cursors subscriber writes a drain held back for the write linger. */
    void lingered(final int cursors)
    {
        if (0 != cursors)
        {
            lingers.getAndAddOrdered(cursors);
        }
    }

    void heartbeatSent()
    {
        heartbeats.incrementOrdered();
    }

    void evicted(final EvictionReason reason)
    {
        evictions[reason.ordinal()].incrementOrdered();
    }

    void subscriberCount(final int count)
    {
        subscribers.setOrdered(count);
    }

    /**
     * @param latencyNs from the publish's read at ingest to this loop's write of it.
     */
    void recordLatencyNs(final long latencyNs)
    {
        latencyUs.recordValue(Math.max(1, Math.min(MAX_LATENCY_US, latencyNs / 1000)));
    }

    /**
     * @param snapshot events behind head per subscriber, taken now; handed over, not modified afterwards.
     */
    void publishLag(final Histogram snapshot)
    {
        lagEvents = snapshot;
    }

    /**
     * Ingest-to-write latencies recorded since the previous call, in microseconds. One caller at a time.
     *
     * @param recycle the histogram the previous call returned, or null.
     * @return the interval histogram.
     */
    public Histogram latencyIntervalUs(final Histogram recycle)
    {
        return latencyUs.getIntervalHistogram(recycle);
    }

    /**
     * @return how many events each subscriber of this loop was behind its topics' newest at the last timer tick
     *         (about once a second); do not modify. Any thread.
     */
    public Histogram lagEvents()
    {
        return lagEvents;
    }

    /** Events written to subscribers. Any thread. */
    public long deliveries()
    {
        return deliveries.get();
    }

    /** SSE bytes of the events written to subscribers (without transport framing). Any thread. */
    public long deliveredBytes()
    {
        return deliveredBytes.get();
    }

    /** Times a subscriber stopped advancing because its connection was not writable. Any thread. */
    public long stalls()
    {
        return stalls.get();
    }

    /** Times a conflated subscriber skipped to the newest event instead of being evicted. Any thread. */
    public long conflations()
    {
        return conflations.get();
    }

    /** {@code reset} notices written. Any thread. */
    public long resets()
    {
        return resets.get();
    }

    /** Heartbeat comments written. Any thread. */
    public long heartbeats()
    {
        return heartbeats.get();
    }

    /** Subscribers the fan-out holds now. Any thread. */
    public long subscribers()
    {
        return subscribers.get();
    }

    /** Subscribers evicted for this reason. Any thread. */
    public long evictions(final EvictionReason reason)
    {
        return evictions[reason.ordinal()].get();
    }
}

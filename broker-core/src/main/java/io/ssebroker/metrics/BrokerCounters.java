package io.ssebroker.metrics;

import io.ssebroker.metrics.MetricsRegistry.Kind;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Values of every {@link Counter}, registered with a {@link MetricsRegistry} under each counter's metric name.
 * <b>Threading:</b> thread-safe; every counter may be written from any connection's event loop, so each write
 * is an atomic add. Meant for rare events (connections, rejections, errors), not for per-event hot paths,
 * which count per batch in their own single-writer counters.
 */
public final class BrokerCounters
{
    private final AtomicCounter[] values = new AtomicCounter[Counter.values().length];

    /**
     * Counters registered with a registry of their own (tests).
     */
    public BrokerCounters()
    {
        this(new MetricsRegistry(Counter.values().length));
    }

    public BrokerCounters(final MetricsRegistry registry)
    {
        for (final Counter counter : Counter.values())
        {
            values[counter.ordinal()] = registry.counter(counter.metricName(), Kind.COUNTER);
        }
    }

    public void increment(final Counter counter)
    {
        values[counter.ordinal()].increment();
    }

    public void add(final Counter counter, final long delta)
    {
        values[counter.ordinal()].getAndAdd(delta);
    }

    public long get(final Counter counter)
    {
        return values[counter.ordinal()].get();
    }
}

package io.ssebroker.metrics;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Values of every {@link Counter}. <b>Threading:</b> thread-safe; meant for rare events, not for
 * per-event hot paths.
 */
public final class BrokerCounters
{
    private final AtomicLongArray values = new AtomicLongArray(Counter.values().length);

    public void increment(final Counter counter)
    {
        values.incrementAndGet(counter.ordinal());
    }

    public void add(final Counter counter, final long delta)
    {
        values.addAndGet(counter.ordinal(), delta);
    }

    public long get(final Counter counter)
    {
        return values.get(counter.ordinal());
    }
}

package io.ssebroker.fanout;

/**
 * Counters of one {@link LoopFanOut}. Written by its event loop only; other threads read them racily
 * for metrics, which is acceptable for monotonic statistics on 64-bit JVMs.
 */
public final class FanOutStats
{
    long deliveries;
    long stalls;
    long conflations;
    long resets;
    long heartbeats;
    final long[] evictions = new long[EvictionReason.values().length];

    public long deliveries()
    {
        return deliveries;
    }

    public long stalls()
    {
        return stalls;
    }

    public long conflations()
    {
        return conflations;
    }

    public long resets()
    {
        return resets;
    }

    public long heartbeats()
    {
        return heartbeats;
    }

    public long evictions(final EvictionReason reason)
    {
        return evictions[reason.ordinal()];
    }
}

package io.ssebroker.fanout;

import java.util.Locale;

/**
 * Why a subscriber stream was ended by the broker; each is counted.
 */
public enum EvictionReason
{
    /** Outbound buffer stayed above its bound for longer than the grace period. */
    SLOW,
    /** Fell so far behind that history no longer holds the next event it needs. */
    LAPPED,
    /** The broker is shutting down. */
    SHUTDOWN;

    /**
     * @return the reason as a metric label value: its name in lower case.
     */
    public String metricLabel()
    {
        return name().toLowerCase(Locale.ROOT);
    }
}

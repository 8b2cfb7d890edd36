package io.ssebroker.fanout;

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
    SHUTDOWN
}

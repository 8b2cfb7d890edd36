package io.ssebroker.fanout;

/**
 * A connection that carries several subscribers (an HTTP/2 connection's streams): the fan-out
 * flushes it once per batch, after every subscriber on it has written ({@link SubscriberSink#endBatch()}).
 * <p>
 * <b>Threading:</b> confined to the event loop of the connection, which is the loop of its subscribers.
 */
public abstract class SinkConnection
{
    /** Owned by the {@link LoopFanOut}: true while the connection waits in its flush list. */
    boolean flushQueued;

    /**
     * Flushes everything its subscribers wrote.
     */
    public abstract void flush();
}

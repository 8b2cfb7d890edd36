package io.ssebroker.fanout;

import io.netty.buffer.ByteBuf;

/**
 * Where a subscriber's bytes go: a Netty channel (HTTP/1.1), an HTTP/2 stream, or a test double.
 * <p>
 * <b>Threading:</b> called only on the event loop that owns the subscriber.
 */
public interface SubscriberSink
{
    /**
     * @return false when the sink's outbound buffer is above its high-water mark; the cursor stops
     *         advancing until {@link LoopFanOut#onWritable} is called.
     */
    boolean isWritable();

    /**
     * Queues bytes without flushing; takes ownership of {@code frame}.
     */
    void write(ByteBuf frame);

    /**
     * Flushes what was queued since the last flush.
     */
    void flush();

    /**
     * Ends the stream because the broker evicted the subscriber or is shutting down.
     *
     * @param reason why, for logs.
     */
    void close(EvictionReason reason);
}

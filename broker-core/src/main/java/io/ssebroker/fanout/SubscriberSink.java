package io.ssebroker.fanout;

import io.netty.buffer.ByteBuf;

/**
 * Where a subscriber's bytes go: an HTTP/1.1 connection, an HTTP/2 stream, or a test double. The
 * engine hands a sink SSE text and shared encoded frames; the sink adds its transport's framing
 * (a chunk, a DATA frame, nothing at all for HTTP/1.0).
 *
 * <h2>Reference counting</h2>
 * {@link #writeEvent} and {@link #writeControl} hand over one reference, which the sink releases
 * (usually by writing it to a channel, which releases it once the bytes are out).
 *
 * <h2>Flushing</h2>
 * The fan-out writes a subscriber everything it can and then calls {@link #endBatch()} once. A sink
 * that has its connection to itself flushes it there; one that shares a connection with other
 * subscribers (HTTP/2 streams) returns it, and the fan-out flushes it once after every subscriber of
 * the batch has written, so a connection carrying 100 streams costs one flush per batch, not 100.
 * <p>
 * <b>Threading:</b> called only on the event loop that owns the subscriber.
 */
public interface SubscriberSink
{
    /**
     * @return false when the sink's outbound bytes are above its bound; the cursor stops advancing
     *         until {@link LoopFanOut#onWritable} is called.
     */
    boolean isWritable();

    /**
     * Queues one event without flushing; takes ownership of {@code frame}, a slice of the shared
     * encoding: an HTTP/1.1 chunk whose SSE bytes are {@code payloadLength} bytes starting
     * {@code payloadOffset} bytes after its reader index.
     */
    void writeEvent(ByteBuf frame, int payloadOffset, int payloadLength);

    /**
     * @return how many more bytes the sink takes before it stops being writable (0 when it is not): a run of frames
     *         ({@link #writeFrames}) is cut where it reaches this, so the sink's bound is overshot by at most one
     *         frame, as when frames come one at a time.
     */
    default long writableBytes()
    {
        return isWritable() ? Long.MAX_VALUE : 0;
    }

    /**
     * Whether the sink sends frames exactly as encoded (HTTP/1.1 chunks, back to back), so that consecutive frames
     * lying one after the other in one shared buffer may reach it as one slice through {@link #writeFrames}: one
     * reference to the shared buffer and one outbound entry for the run instead of one per event.
     */
    default boolean takesFrameRuns()
    {
        return false;
    }

    /**
     * Queues {@code events} consecutive frames that lie back to back in one shared buffer, as one slice of it,
     * without flushing; takes ownership of {@code frames}. Called only when {@link #takesFrameRuns()}.
     */
    default void writeFrames(final ByteBuf frames, final int events)
    {
        frames.release();
        throw new UnsupportedOperationException("this sink takes frames one at a time");
    }

    /**
     * Queues SSE text made by the engine for this stream alone (the preamble, a {@code reset}
     * notice) without flushing; takes ownership of {@code sseText}.
     */
    void writeControl(ByteBuf sseText);

    /**
     * Queues a heartbeat comment without flushing.
     */
    void writeHeartbeat();

    /**
     * The fan-out has written this subscriber everything it will in this batch.
     *
     * @return null when the sink flushed its own connection, or the shared connection to flush once
     *         at the end of the batch.
     */
    SinkConnection endBatch();

    /**
     * Ends the stream because the broker evicted the subscriber or is shutting down: cleanly (the
     * end of the body) when it is still being read, abruptly (close, stream reset) when it is not.
     *
     * @param reason why, for logs and counters.
     */
    void close(EvictionReason reason);
}

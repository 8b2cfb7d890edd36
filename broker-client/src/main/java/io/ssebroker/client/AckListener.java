package io.ssebroker.client;

/**
 * Callbacks for the answers to publish frames, the allocation-free alternative to the futures of
 * {@link IngestClient#publish(String, String, byte[])}.
 * <p>
 * Every number returned by {@link IngestClient#tryPublish} is answered exactly once: covered by one
 * {@link #onAck} run or named by one {@link #onError}. Frames still unanswered when the connection ends are
 * named by {@link #onError} with the connection's code (a protocol code, or a negative code from
 * {@link IngestErrorCode}) before {@link #onClosed}.
 * <p>
 * <b>Threading:</b> called on the connection's event loop; implementations must not block.
 */
public interface AckListener
{
    /**
     * Frames {@code firstSeq} to {@code firstSeq + count - 1} were sequenced; frame {@code firstSeq + k} got
     * event id {@code firstId + k}.
     *
     * @param firstSeq number of the first publish frame covered.
     * @param count    number of consecutive frames covered, at least 1.
     * @param firstId  event id of frame {@code firstSeq}.
     */
    void onAck(long firstSeq, int count, long firstId);

    /**
     * Frame {@code seq} was rejected, or lost with the connection.
     *
     * @param seq     number of the publish frame.
     * @param code    protocol error code, or a negative local code from {@link IngestErrorCode}.
     * @param message reason.
     */
    void onError(long seq, int code, String message);

    /**
     * The connection ended; no callback follows.
     *
     * @param code    the connection-level code that ended it.
     * @param message reason.
     */
    default void onClosed(final int code, final String message)
    {
    }
}

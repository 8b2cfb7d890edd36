package io.ssebroker.fanout;

/**
 * One subscriber stream: where it is in the histories of its topics, and where its bytes go.
 * <p>
 * The cursor is the whole subscriber state: replay after {@code Last-Event-ID}, live delivery and
 * catching up after back-pressure are the same walk over the same histories, so there is no
 * hand-over between a replay queue and a live queue in which an event could be lost or repeated.
 * Events go out in id order across topics; an event whose id is not above {@link #lastSentId()} is
 * skipped, which is what makes a resume exact even on a loop that has not yet applied every event
 * the client saw elsewhere.
 * <p>
 * <b>Threading:</b> confined to the owning {@link LoopFanOut}'s event loop.
 */
public final class SubscriberCursor
{
    final int[] topics;
    final long[] positions;
    final int[] slots;
    final SubscriberSink sink;
    long lastSentId;
    long stalledSinceNs;
    long lastWriteNs;
    int allIndex = -1;
    boolean dirty;
    boolean needsFlush;
    /** Held back by the write linger: {@link LoopFanOut} writes it when the linger is over. */
    boolean lingering;
    boolean closed;
    /** Non-null while the cursor is served from the deep history, before it is registered. */
    DeepReplay deepReplay;

    SubscriberCursor(final int[] topics, final SubscriberSink sink, final long lastSentId, final long nowNs)
    {
        this.topics = topics;
        this.positions = new long[topics.length];
        this.slots = new int[topics.length];
        this.sink = sink;
        this.lastSentId = lastSentId;
        this.lastWriteNs = nowNs;
    }

    /**
     * @return id of the newest event written to this subscriber.
     */
    public long lastSentId()
    {
        return lastSentId;
    }

    public boolean isStalled()
    {
        return 0 != stalledSinceNs;
    }
}

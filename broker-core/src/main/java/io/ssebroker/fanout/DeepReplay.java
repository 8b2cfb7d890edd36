package io.ssebroker.fanout;

/**
 * A cursor's state while {@link LoopFanOut} serves it from a {@link DeepHistory}.
 * <p>
 * <b>Threading:</b> confined to the cursor's event loop.
 */
final class DeepReplay
{
    final String[] topicNames;
    /** As the client sent it, for the reset notice. */
    final String lastEventId;
    /** A chunk is being loaded: its callback continues. */
    boolean loading;
    /** The last chunk moved nothing (this node is behind the stream): load again at the next timer tick. */
    boolean retryAtTimer;
    boolean resetSent;

    DeepReplay(final String[] topicNames, final String lastEventId)
    {
        this.topicNames = topicNames;
        this.lastEventId = lastEventId;
    }
}

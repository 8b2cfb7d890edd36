package io.ssebroker.fanout;

import java.util.function.Consumer;

/**
 * Events older than what an event loop's histories hold, kept by a shared stream (cluster mode: JetStream). A resume
 * from below a loop's history is served from here in chunks, then joins the loop's histories and the live stream.
 * <p>
 * <b>Threading:</b> {@link #load} from an event loop; it must not block. It calls back on a thread of its own, or,
 * when it already holds the chunk, on the caller's thread before it returns.
 */
public interface DeepHistory
{
    /**
     * Loads the next chunk of the given topics' events after {@code afterId}, in id order.
     *
     * @param topics   topic names.
     * @param afterId  the chunk starts with the first event above this id.
     * @param maxEvents at most this many events per topic.
     * @param done     called exactly once, on any thread (possibly before this returns), with the chunk (or
     *                 {@link ReplayChunk#failed}); it owns that reference to the chunk and releases it.
     */
    void load(String[] topics, long afterId, int maxEvents, Consumer<ReplayChunk> done);
}

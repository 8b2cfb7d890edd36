package io.ssebroker.log;

import io.ssebroker.ingest.Deduplication;
import io.ssebroker.ingest.IngestRing;
import io.ssebroker.ingest.PublisherSessions;
import io.ssebroker.metrics.MetricsRegistry;
import org.agrona.concurrent.Agent;

/**
 * What runs on the engine's input thread and feeds its {@link LogWriter}: the embedded
 * {@link Sequencer} (ids counted from the run's epoch) or a cluster input (ids from a shared
 * stream). Either one takes the ingest ring's publishes and answers their publishers through the sessions.
 * <p>
 * <b>Threading:</b> every method on the input thread, {@link #drain} and {@link #close} after its last
 * {@code doWork()}.
 */
public interface LogInput extends Agent
{
    /** Builds the input once the engine's parts exist. */
    interface Factory
    {
        LogInput create(IngestRing ring, LogWriter writer, TopicRegistry topics, PublisherSessions sessions,
            Deduplication dedup, MetricsRegistry metrics);
    }

    /** One batch: reads its inputs, appends, acknowledges. Errors it cannot survive are thrown unchecked. */
    @Override
    int doWork();

    /**
     * Takes what producers already offered; on shutdown, after they stopped.
     */
    void drain();

    /**
     * Gives back what the input holds. Once, after the last {@code doWork()}.
     */
    void close();

    /**
     * For the idle strategy, after it declared the thread asleep: work that arrived other than through the ingest
     * ring (whose producers wake the thread themselves) and would be missed by parking.
     */
    default boolean hasPendingInput()
    {
        return false;
    }

    /**
     * @return the log holds every event with an id above this one; a resume from below it is told
     *         {@code history-truncated}. The embedded sequencer's log starts complete: {@link Long#MIN_VALUE}.
     */
    default long historyFloorId()
    {
        return Long.MIN_VALUE;
    }

    /**
     * @return the furthest id known to exist, ahead of the log when another node took it first (any thread); a resume
     *         up to it waits for the log instead of getting {@code future-id}. {@link Long#MIN_VALUE} for none.
     */
    default long knownHeadId()
    {
        return Long.MIN_VALUE;
    }

    /**
     * @return true when every publish the input took has been answered (any thread); an input that answers within its
     *         batch is always settled.
     */
    default boolean isSettled()
    {
        return true;
    }

    /**
     * @param parkNs the idle strategy's longest park.
     * @return how long the thread may park now: shorter while the input waits on something that does not wake it.
     */
    default long maxParkNs(final long parkNs)
    {
        return parkNs;
    }
}

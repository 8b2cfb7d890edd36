package io.ssebroker.ingest;

import io.ssebroker.concurrent.PaddedSequence;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One publishing connection's side of the acknowledgement path.
 * <p>
 * The connection's event loop numbers its publishes 1, 2, 3…, offers the accepted ones to the
 * ingest ring and marks the rejected ones; the sequencer records the id it assigned to each
 * accepted publish and then, once per batch, publishes the highest sequence it has taken and
 * wakes the loop, which turns the new range into acknowledgements.
 *
 * <pre>
 *   slot = sequence &amp; mask:  [ id | id | REJECTED | id | ... ]   capacity = max in flight
 * </pre>
 *
 * <h2>Threading</h2>
 * {@link #assign} and {@link #publishSequenced} run on the sequencer thread; every other method
 * runs on the connection's event loop. A slot is written by the loop ({@link #markRejected}) or by
 * the sequencer ({@link #assign}), never both for the same sequence, and is reused only after the
 * loop has acknowledged it, which bounds in-flight publishes by the capacity.
 */
public final class PublisherSession
{
    /** Marks a publish the loop rejected before it reached the ring. */
    public static final long REJECTED = -1;

    /** Marks a publish offered to the ring whose id is not known yet. */
    public static final long PENDING = -2;

    /**
     * Marks a resend the sequencer did not take again because its publisher had sent it before,
     * longer ago than the deduplication window remembers its id.
     */
    public static final long TAKEN_EARLIER = -3;

    /**
     * Marks a publish the shared log of a cluster did not acknowledge in time: it may or may not have been stored, and
     * a resend with the same publisher sequence or key is safe.
     */
    public static final long UNAVAILABLE = -4;

    /** Called on the session's event loop after the sequencer has taken more of its publishes. */
    public interface Listener
    {
        void onSequenced(PublisherSession session);
    }

    private final int id;
    private final long[] assignedIds;
    private final int mask;
    private final PaddedSequence sequenced = new PaddedSequence(0);
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final Executor executor;
    private final Runnable wakeTask;

    // Sequencer thread only.
    boolean touched;
    long lastTakenSequence;

    // Event loop only.
    private long nextSequence = 1;
    private long acknowledged;

    PublisherSession(final int id, final int maxInFlight, final Executor executor, final Listener listener)
    {
        if (Integer.bitCount(maxInFlight) != 1)
        {
            throw new IllegalArgumentException("ingest.maxInFlight must be a power of two, was " + maxInFlight);
        }
        this.id = id;
        this.assignedIds = new long[maxInFlight];
        this.mask = maxInFlight - 1;
        this.executor = executor;
        this.wakeTask = () ->
        {
            // Clear first: a publishSequenced racing with this task either sees false and
            // schedules again, or stored its sequence before we read it below.
            wakePending.set(false);
            listener.onSequenced(this);
        };
    }

    public int id()
    {
        return id;
    }

    // ---------------------------------------------------------------- event loop side

    /**
     * Takes the sequence number for the next publish frame of this connection.
     */
    public long nextSequence()
    {
        return nextSequence++;
    }

    /**
     * @return the sequence number {@link #nextSequence()} will return, without taking it.
     */
    public long peekSequence()
    {
        return nextSequence;
    }

    /**
     * Marks a publish about to be offered to the ring, before the offer, so the slot never shows a
     * stale value from an earlier lap while the sequencer has not yet assigned it.
     */
    public void markPending(final long sequence)
    {
        assignedIds[(int)(sequence & mask)] = PENDING;
    }

    /**
     * @return publishes numbered but not yet acknowledged (accepted or rejected).
     */
    public long inFlight()
    {
        return nextSequence - 1 - acknowledged;
    }

    /**
     * @return true when no more publishes may be taken until acknowledgements catch up.
     */
    public boolean isFull()
    {
        return inFlight() >= mask + 1;
    }

    public void markRejected(final long sequence)
    {
        assignedIds[(int)(sequence & mask)] = REJECTED;
    }

    /**
     * Highest sequence the sequencer has taken (acquire), so that {@link #assignedId} is valid for
     * accepted publishes up to it.
     */
    public long sequenced()
    {
        return sequenced.getAcquire();
    }

    public long assignedId(final long sequence)
    {
        return assignedIds[(int)(sequence & mask)];
    }

    public long acknowledged()
    {
        return acknowledged;
    }

    /**
     * Records that publishes up to {@code sequence} have been answered, freeing their slots.
     */
    public void acknowledged(final long sequence)
    {
        acknowledged = sequence;
    }

    /**
     * True when every numbered publish has been answered.
     */
    public boolean isIdle()
    {
        return nextSequence - 1 == acknowledged;
    }

    // ---------------------------------------------------------------- sequencer side

    void assign(final long sequence, final long eventId)
    {
        assignedIds[(int)(sequence & mask)] = eventId;
        lastTakenSequence = sequence;
    }

    void publishSequenced()
    {
        // Release: the assigned ids written above are visible to the loop's acquire in sequenced().
        sequenced.setRelease(lastTakenSequence);
        if (wakePending.compareAndSet(false, true))
        {
            executor.execute(wakeTask);
        }
    }
}

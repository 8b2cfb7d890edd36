package io.ssebroker.ingest;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.EpochClock;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * What the sequencer remembers to take each publish at most once, when its publisher says who it
 * is: a publisher id with an increasing sequence (ingest protocol version 2), or an
 * {@code Idempotency-Key} (HTTP).
 *
 * <pre>
 *   publisher "feed-1": highest = 1042   window: [ (980, id 7120) (981, 7121) ... (1042, 7190) ]
 *   topic 3, key "a1b2": id 7188, taken at 12:00:01.250        (oldest first, by count and by time)
 * </pre>
 *
 * A publish whose publisher sequence is at or below the highest one taken from that publisher, or
 * whose key is still held, is a duplicate: it is not appended, and its answer carries the id the
 * first copy got, while the window still holds it. Every decision is made on the sequencer thread,
 * in ring order, so two copies racing over two connections cannot both be taken.
 *
 * <h2>Bounds</h2>
 * A publisher's window keeps its last {@code windowEvents} publishes, none older than
 * {@code windowMs}; below the window a resend is still refused (the highest sequence is kept), only
 * its id is no longer known. A publisher id with no connection and nothing taken for
 * {@code windowMs} may be forgotten to make room for a new one once {@code maxPublishers} are
 * known. Keys follow the same count and time bounds, over all topics together.
 *
 * <h2>Threading</h2>
 * {@link #attach} and {@link #detach} run on event loops, serialised on this object; {@link #record},
 * {@link #keyedId}, {@link #keyTaken} and the record's {@code idOf}/{@code taken} on the sequencer
 * thread. {@link PublisherRecord#highestSequence()} is safe from any thread.
 */
public final class Deduplication
{
    /** Ring value of a publish without a publisher id. */
    public static final int NO_PUBLISHER = -1;
    /** {@link PublisherRecord#idOf} for a duplicate whose id the window no longer holds. */
    public static final long ID_UNKNOWN = -1;

    private static final int SLOT_BITS = 16;
    private static final int FIRST_WINDOW_CAPACITY = 64;

    private final int windowEvents;
    private final long windowMs;
    private final int maxPublishers;
    private final EpochClock clock;
    private final AtomicReferenceArray<PublisherRecord> slots;
    private final Map<String, PublisherRecord> byName = new HashMap<>();
    private final LinkedHashMap<String, long[]> keys = new LinkedHashMap<>();
    private int generation;

    /**
     * @param windowEvents  publishes remembered per publisher, and keys remembered in all.
     * @param windowMs      longest time a publish is remembered.
     * @param maxPublishers publisher ids known at once, at most 65,536.
     * @param clock         wall clock in milliseconds.
     */
    public Deduplication(final int windowEvents, final long windowMs, final int maxPublishers, final EpochClock clock)
    {
        if (windowEvents < 1 || windowMs < 1 || maxPublishers < 1 || maxPublishers > 1 << SLOT_BITS)
        {
            throw new IllegalArgumentException("dedup window " + windowEvents + " events / " + windowMs +
                " ms and " + maxPublishers + " publishers must be positive, publishers at most 65536");
        }
        this.windowEvents = windowEvents;
        this.windowMs = windowMs;
        this.maxPublishers = maxPublishers;
        this.clock = clock;
        this.slots = new AtomicReferenceArray<>(maxPublishers);
    }

    public int windowEvents()
    {
        return windowEvents;
    }

    public long windowMs()
    {
        return windowMs;
    }

    public long nowMs()
    {
        return clock.time();
    }

    // ---------------------------------------------------------------- event loop side

    /**
     * A connection announces its publisher id.
     *
     * @return its record, new or known, or null when {@link #maxPublishers} ids are known and none
     *         can be forgotten yet.
     */
    public synchronized PublisherRecord attach(final String publisherId)
    {
        final long now = clock.time();
        PublisherRecord record = byName.get(publisherId);
        if (null == record)
        {
            if (byName.size() >= maxPublishers && !forgetOneIdle(now))
            {
                return null;
            }
            int slot = 0;
            while (null != slots.get(slot))
            {
                slot++;
            }
            generation = (generation + 1) & 0x7FFF;
            record = new PublisherRecord(publisherId, generation << SLOT_BITS | slot);
            byName.put(publisherId, record);
            slots.set(slot, record);
        }
        record.connections++;
        record.lastActiveMs.lazySet(now);
        return record;
    }

    public synchronized void detach(final PublisherRecord record)
    {
        record.connections--;
        record.lastActiveMs.lazySet(clock.time());
    }

    private boolean forgetOneIdle(final long now)
    {
        for (final Iterator<PublisherRecord> it = byName.values().iterator(); it.hasNext(); )
        {
            final PublisherRecord record = it.next();
            if (0 == record.connections && now - record.lastActiveMs.get() > windowMs)
            {
                it.remove();
                slots.compareAndSet(record.ref & ((1 << SLOT_BITS) - 1), record, null);
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- sequencer side

    /**
     * @return the live record a ring message names, or null when it was forgotten.
     */
    public PublisherRecord record(final int ref)
    {
        final PublisherRecord record = slots.get(ref & ((1 << SLOT_BITS) - 1));
        return null != record && record.ref == ref ? record : null;
    }

    /**
     * @return the id taken under this topic and key, or {@link #ID_UNKNOWN} when none is held.
     */
    public long keyedId(final String scopedKey, final long nowMs)
    {
        expireKeys(nowMs);
        final long[] entry = keys.get(scopedKey);
        return null == entry ? ID_UNKNOWN : entry[0];
    }

    public void keyTaken(final String scopedKey, final long id, final long nowMs)
    {
        keys.put(scopedKey, new long[]{ id, nowMs });
        expireKeys(nowMs);
    }

    /**
     * @return the map key for a key within a topic: keys are unique per topic.
     */
    public static String scopedKey(final int topic, final DirectBuffer buffer, final int index, final int length)
    {
        return topic + "/" + buffer.getStringWithoutLengthAscii(index, length);
    }

    private void expireKeys(final long nowMs)
    {
        final Iterator<long[]> it = keys.values().iterator();
        while (it.hasNext())
        {
            final long[] oldest = it.next();
            if (keys.size() > windowEvents || nowMs - oldest[1] > windowMs)
            {
                it.remove();
            }
            else
            {
                break;
            }
        }
    }

    /** Keys held now; for tests and statistics, sequencer thread. */
    public int keysHeld()
    {
        return keys.size();
    }

    /**
     * One publisher id's highest sequence and recent (sequence, id) pairs.
     */
    public final class PublisherRecord
    {
        private final String publisherId;
        private final int ref;
        private final AtomicLong highest = new AtomicLong();
        private final AtomicLong lastActiveMs = new AtomicLong();
        private int connections;

        // Sequencer thread only: a ring of the last publishes taken, oldest at head, sequences increasing.
        private long[] sequences = new long[FIRST_WINDOW_CAPACITY];
        private long[] ids = new long[FIRST_WINDOW_CAPACITY];
        private long[] takenMs = new long[FIRST_WINDOW_CAPACITY];
        private int head;
        private int count;

        private PublisherRecord(final String publisherId, final int ref)
        {
            this.publisherId = publisherId;
            this.ref = ref;
        }

        public String publisherId()
        {
            return publisherId;
        }

        /** The value ring messages carry to name this record. */
        public int ref()
        {
            return ref;
        }

        /**
         * @return the highest publisher sequence taken so far, 0 for none; any thread. Publishes of
         *         this publisher still in the ring may raise it.
         */
        public long highestSequence()
        {
            return highest.get();
        }

        /**
         * Sequencer side: the id a sequence at or below {@link #highestSequence()} was taken with.
         *
         * @return the id, or {@link #ID_UNKNOWN} when it is older than the window or was never taken.
         */
        public long idOf(final long sequence, final long nowMs)
        {
            expire(nowMs);
            int low = 0;
            int high = count - 1;
            final int mask = sequences.length - 1;
            while (low <= high)
            {
                final int mid = (low + high) >>> 1;
                final long value = sequences[(head + mid) & mask];
                if (value < sequence)
                {
                    low = mid + 1;
                }
                else if (value > sequence)
                {
                    high = mid - 1;
                }
                else
                {
                    return ids[(head + mid) & mask];
                }
            }
            return ID_UNKNOWN;
        }

        /**
         * Sequencer side: records a publish taken; {@code sequence} is above {@link #highestSequence()}.
         */
        public void taken(final long sequence, final long id, final long nowMs)
        {
            expire(nowMs);
            if (count == windowEvents)
            {
                head = (head + 1) & (sequences.length - 1);
                count--;
            }
            else if (count == sequences.length)
            {
                grow();
            }
            final int slot = (head + count) & (sequences.length - 1);
            sequences[slot] = sequence;
            ids[slot] = id;
            takenMs[slot] = nowMs;
            count++;
            highest.lazySet(sequence);
            lastActiveMs.lazySet(nowMs);
        }

        private void expire(final long nowMs)
        {
            while (count > 0 && nowMs - takenMs[head] > windowMs)
            {
                head = (head + 1) & (sequences.length - 1);
                count--;
            }
        }

        private void grow()
        {
            // Capacity stays a power of two: the first window is, and it doubles.
            final int capacity = sequences.length * 2;
            final long[] newSequences = new long[capacity];
            final long[] newIds = new long[capacity];
            final long[] newTaken = new long[capacity];
            final int mask = sequences.length - 1;
            for (int i = 0; i < count; i++)
            {
                newSequences[i] = sequences[(head + i) & mask];
                newIds[i] = ids[(head + i) & mask];
                newTaken[i] = takenMs[(head + i) & mask];
            }
            sequences = newSequences;
            ids = newIds;
            takenMs = newTaken;
            head = 0;
        }
    }
}

package io.ssebroker.log;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A named stream of events, identified on the data path by its dense {@link #index()}. Immutable but for
 * {@link #subscribers()}, which the event loops keep with atomic adds on subscribe and unsubscribe (never per
 * event), so that any thread can ask whether anyone listens.
 */
public final class Topic
{
    private final int index;
    private final String name;
    private final byte[] nameBytes;
    private final int hash;
    private final TopicPolicy policy;
    private final AtomicInteger subscribers = new AtomicInteger();
    /** Bit {@code i}: event loop {@code i} (below 64) holds or is registering a subscriber of this topic. */
    private final AtomicLong loops = new AtomicLong();

    Topic(final int index, final String name, final int hash, final TopicPolicy policy)
    {
        this.index = index;
        this.name = name;
        this.nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        this.hash = hash;
        this.policy = policy;
    }

    public int index()
    {
        return index;
    }

    public String name()
    {
        return name;
    }

    public TopicPolicy policy()
    {
        return policy;
    }

    /**
     * @return streams subscribed to this topic over every event loop. Any thread.
     */
    public int subscribers()
    {
        return subscribers.get();
    }

    /**
     * @return the event loops (bit per loop index, loops 0 to 63) that hold a subscriber of this topic or are
     *         registering one. Any thread; the sequencer reads it after publishing a batch, to wake only those.
     */
    public long loopMask()
    {
        return loops.get();
    }

    /**
     * Marks loop {@code reader} as holding subscribers; before it catches up with the log for a new one.
     */
    public void addLoop(final int reader)
    {
        if (reader < Long.SIZE)
        {
            final long bit = 1L << reader;
            if (0 == (loops.get() & bit))
            {
                loops.getAndAccumulate(bit, (mask, set) -> mask | set);
            }
        }
    }

    /**
     * Unmarks loop {@code reader}, when its last subscriber of this topic leaves.
     */
    public void removeLoop(final int reader)
    {
        if (reader < Long.SIZE)
        {
            loops.getAndAccumulate(~(1L << reader), (mask, keep) -> mask & keep);
        }
    }

    /**
     * @param delta +1 on subscribe, -1 on unsubscribe; called by the owning event loop.
     */
    public void addSubscribers(final int delta)
    {
        subscribers.addAndGet(delta);
    }

    byte[] nameBytes()
    {
        return nameBytes;
    }

    int hash()
    {
        return hash;
    }

    @Override
    public String toString()
    {
        return "Topic{" + index + ":" + name + "}";
    }
}

package io.ssebroker.log;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

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

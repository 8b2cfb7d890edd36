package io.ssebroker.log;

import io.netty.buffer.ByteBuf;
import io.ssebroker.codec.TopicNames;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;

/**
 * Name → {@link Topic} registry with dense indexes.
 * <p>
 * Lookups from any thread are lock-free and, by bytes, allocation-free: an open-addressing table
 * published through {@link AtomicReferenceArray} slots. Creation is rare and serialised by a lock;
 * a new topic is fully built before the release store that makes it visible.
 * <p>
 * <b>Threading:</b> thread-safe.
 */
public final class TopicRegistry
{
    /** Returned by {@link #lookupOrCreate(ByteBuf, int, int)} when the topic limit is reached. */
    public static final int TOO_MANY_TOPICS = -1;

    private final Object createLock = new Object();
    private final Function<String, TopicPolicy> policies;
    private final int maxTopics;
    private volatile AtomicReferenceArray<Topic> table = new AtomicReferenceArray<>(1024);
    private volatile Topic[] byIndex = new Topic[64];
    private volatile int count;

    /**
     * @param policies  retention policy for a new topic, by name.
     * @param maxTopics upper bound on distinct topics, so that a misbehaving publisher cannot grow
     *                  the registry without limit.
     */
    public TopicRegistry(final Function<String, TopicPolicy> policies, final int maxTopics)
    {
        if (maxTopics < 1 || maxTopics > (1 << 24))
        {
            throw new IllegalArgumentException("topics.max must be between 1 and 16777216, was " + maxTopics);
        }
        this.policies = policies;
        this.maxTopics = maxTopics;
    }

    /**
     * @return number of topics created so far; indexes are {@code 0 .. count() - 1}.
     */
    public int count()
    {
        return count;
    }

    /**
     * @return the topic with this index; {@code index} must be below a {@link #count()} read earlier.
     */
    public Topic byIndex(final int index)
    {
        return byIndex[index];
    }

    /**
     * Resolves the topic named by {@code length} ASCII bytes of {@code buf} at {@code index}, creating
     * it on first use. The name must already satisfy {@link TopicNames#isValid}.
     *
     * @return the topic index, or {@link #TOO_MANY_TOPICS}.
     */
    public int lookupOrCreate(final ByteBuf buf, final int index, final int length)
    {
        final int hash = hash(buf, index, length);
        final AtomicReferenceArray<Topic> table = this.table;
        final int mask = table.length() - 1;
        for (int slot = hash & mask; ; slot = (slot + 1) & mask)
        {
            final Topic topic = table.get(slot);
            if (null == topic)
            {
                break;
            }
            if (topic.hash() == hash && equals(topic.nameBytes(), buf, index, length))
            {
                return topic.index();
            }
        }
        return createSlowPath(buf.toString(index, length, java.nio.charset.StandardCharsets.US_ASCII));
    }

    /**
     * Resolves or creates a topic by name; cold path (subscriptions, HTTP publish).
     *
     * @return the topic, or null when the topic limit is reached.
     */
    public Topic lookupOrCreate(final String name)
    {
        final Topic existing = lookup(name);
        if (null != existing)
        {
            return existing;
        }
        final int index = createSlowPath(name);
        return TOO_MANY_TOPICS == index ? null : byIndex(index);
    }

    /**
     * @return the topic, or null if it was never created.
     */
    public Topic lookup(final String name)
    {
        final int hash = hash(name);
        final AtomicReferenceArray<Topic> table = this.table;
        final int mask = table.length() - 1;
        for (int slot = hash & mask; ; slot = (slot + 1) & mask)
        {
            final Topic topic = table.get(slot);
            if (null == topic)
            {
                return null;
            }
            if (topic.hash() == hash && topic.name().equals(name))
            {
                return topic;
            }
        }
    }

    private int createSlowPath(final String name)
    {
        synchronized (createLock)
        {
            final Topic existing = lookup(name);
            if (null != existing)
            {
                return existing.index();
            }
            final int index = count;
            if (index >= maxTopics)
            {
                return TOO_MANY_TOPICS;
            }
            final Topic topic = new Topic(index, name, hash(name), policies.apply(name));

            Topic[] byIndex = this.byIndex;
            if (index == byIndex.length)
            {
                byIndex = java.util.Arrays.copyOf(byIndex, index * 2);
            }
            byIndex[index] = topic;
            this.byIndex = byIndex;

            AtomicReferenceArray<Topic> table = this.table;
            if ((index + 1) * 2 > table.length())
            {
                table = rehash(table, table.length() * 2);
            }
            insert(table, topic);
            this.table = table;
            // Publishes the topic: readers that see count > index also see byIndex[index].
            count = index + 1;
            return index;
        }
    }

    private static AtomicReferenceArray<Topic> rehash(final AtomicReferenceArray<Topic> old, final int capacity)
    {
        final AtomicReferenceArray<Topic> table = new AtomicReferenceArray<>(capacity);
        for (int i = 0, n = old.length(); i < n; i++)
        {
            final Topic topic = old.get(i);
            if (null != topic)
            {
                insert(table, topic);
            }
        }
        return table;
    }

    private static void insert(final AtomicReferenceArray<Topic> table, final Topic topic)
    {
        final int mask = table.length() - 1;
        int slot = topic.hash() & mask;
        while (null != table.get(slot))
        {
            slot = (slot + 1) & mask;
        }
        table.set(slot, topic);
    }

    private static boolean equals(final byte[] name, final ByteBuf buf, final int index, final int length)
    {
        if (name.length != length)
        {
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            if (name[i] != buf.getByte(index + i))
            {
                return false;
            }
        }
        return true;
    }

    private static int hash(final ByteBuf buf, final int index, final int length)
    {
        int h = 0;
        for (int i = index, end = index + length; i < end; i++)
        {
            h = 31 * h + buf.getByte(i);
        }
        return mix(h);
    }

    private static int hash(final String name)
    {
        int h = 0;
        for (int i = 0, n = name.length(); i < n; i++)
        {
            h = 31 * h + (byte)name.charAt(i);
        }
        return mix(h);
    }

    private static int mix(final int h)
    {
        final int x = h * 0x9E3779B9;
        return x ^ (x >>> 16);
    }
}

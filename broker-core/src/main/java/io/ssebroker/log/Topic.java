package io.ssebroker.log;

import java.nio.charset.StandardCharsets;

/**
 * A named stream of events. Immutable; identified on the data path by its dense {@link #index()}.
 */
public final class Topic
{
    private final int index;
    private final String name;
    private final byte[] nameBytes;
    private final int hash;
    private final TopicPolicy policy;

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

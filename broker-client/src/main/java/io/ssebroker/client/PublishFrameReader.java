package io.ssebroker.client;

import io.netty.buffer.ByteBuf;

/**
 * Reads the fields of a {@code PUBLISH} body in place (docs/ingest-protocol.md): the version 2 publisher sequence,
 * then topic, event name and data, each located by index and length in the buffer, nothing copied. This is the
 * wire structure only; the broker applies its rules (topic alphabet, sizes, UTF-8) to what it finds.
 * <p>
 * A flyweight: {@link #wrap} fills the fields, which stay valid until the next call.
 * <b>Threading:</b> one thread at a time (an ingest connection's event loop).
 */
public final class PublishFrameReader
{
    /** The body's fields are consistent. */
    public static final int OK = 0;
    /** Shorter than the fixed fields. */
    public static final int BODY_TOO_SHORT = 1;
    /** The topic length runs past the frame. */
    public static final int TOPIC_PAST_FRAME = 2;
    /** The event length runs past the frame. */
    public static final int EVENT_PAST_FRAME = 3;
    /** The data length and the frame's length disagree. */
    public static final int DATA_LENGTH_MISMATCH = 4;

    private static final int TOPIC_LENGTH_BYTES = 2;
    private static final int EVENT_LENGTH_BYTES = 1;
    private static final int DATA_LENGTH_BYTES = 4;
    private static final int FIXED_BYTES = TOPIC_LENGTH_BYTES + EVENT_LENGTH_BYTES + DATA_LENGTH_BYTES;

    private long publisherSequence;
    private int topicIndex;
    private int topicLength;
    private int eventIndex;
    private int eventLength;
    private int dataIndex;
    private long dataLength;

    /**
     * @param in                 the buffer holding the frame.
     * @param bodyIndex          where the body starts (after length and type).
     * @param bodyLength         its length.
     * @param withPublisherSeq   version 2: the body starts with an 8-byte publisher sequence.
     * @return {@link #OK}, or what is wrong with the structure; the fields read so far are set either way.
     */
    public int wrap(final ByteBuf in, final int bodyIndex, final int bodyLength, final boolean withPublisherSeq)
    {
        final int sequenceBytes = withPublisherSeq ? IngestFrameDescriptor.PUBLISHER_SEQ_BYTES : 0;
        publisherSequence = 0;
        topicLength = 0;
        eventLength = 0;
        dataLength = 0;
        if (bodyLength < sequenceBytes + FIXED_BYTES)
        {
            return BODY_TOO_SHORT;
        }
        if (withPublisherSeq)
        {
            publisherSequence = in.getLong(bodyIndex);
        }
        final int index = bodyIndex + sequenceBytes;
        final int length = bodyLength - sequenceBytes;
        topicLength = in.getUnsignedShort(index);
        topicIndex = index + TOPIC_LENGTH_BYTES;
        if (TOPIC_LENGTH_BYTES + topicLength + EVENT_LENGTH_BYTES + DATA_LENGTH_BYTES > length)
        {
            return TOPIC_PAST_FRAME;
        }
        eventLength = in.getUnsignedByte(topicIndex + topicLength);
        eventIndex = topicIndex + topicLength + EVENT_LENGTH_BYTES;
        if (TOPIC_LENGTH_BYTES + topicLength + EVENT_LENGTH_BYTES + eventLength + DATA_LENGTH_BYTES > length)
        {
            return EVENT_PAST_FRAME;
        }
        dataLength = in.getUnsignedInt(eventIndex + eventLength);
        dataIndex = eventIndex + eventLength + DATA_LENGTH_BYTES;
        if (FIXED_BYTES + topicLength + eventLength + dataLength != length)
        {
            return DATA_LENGTH_MISMATCH;
        }
        return OK;
    }

    /** @return the version 2 publisher sequence, 0 when none (or version 1). */
    public long publisherSequence()
    {
        return publisherSequence;
    }

    public int topicIndex()
    {
        return topicIndex;
    }

    public int topicLength()
    {
        return topicLength;
    }

    public int eventIndex()
    {
        return eventIndex;
    }

    /** @return the event name's length, 0 for none. */
    public int eventLength()
    {
        return eventLength;
    }

    public int dataIndex()
    {
        return dataIndex;
    }

    /** @return the data length as sent (unsigned 32 bits; larger than any frame means a mismatch). */
    public long dataLength()
    {
        return dataLength;
    }
}

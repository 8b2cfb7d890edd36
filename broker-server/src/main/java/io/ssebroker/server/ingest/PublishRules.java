package io.ssebroker.server.ingest;

import io.netty.buffer.ByteBuf;
import io.ssebroker.client.IngestErrorCode;
import io.ssebroker.client.PublishFrameReader;
import io.ssebroker.codec.TopicNames;
import io.ssebroker.codec.Utf8Text;

/**
 * The broker's rules for one {@code PUBLISH}, applied to the fields {@link PublishFrameReader} located, in the
 * documented order (docs/ingest-protocol.md): the topic's own rules, then (the caller's) the token's topics, then
 * the event name, empty data, data size and UTF-8. Each check returns {@link #PASS} or the rule that failed, from
 * which {@link #code} and {@link #message} give the per-frame answer; nothing allocates on the way through.
 * <p>
 * Used by {@link IngestConnectionHandler} and by the decode benchmark, which so measures this code.
 * <b>Threading:</b> stateless.
 */
public final class PublishRules
{
    /** Every rule holds. */
    public static final int PASS = 0;
    /** Topic empty, too long or outside the alphabet. */
    public static final int TOPIC_ALPHABET = 1;
    /** Topic under {@link TopicNames#RESERVED_PREFIX}. */
    public static final int TOPIC_RESERVED = 2;
    /** Event name too long or not printable ASCII. */
    public static final int EVENT_NAME = 3;
    /** No data. */
    public static final int DATA_EMPTY = 4;
    /** Data over the broker's limit. */
    public static final int DATA_TOO_LARGE = 5;
    /** Data not UTF-8. */
    public static final int DATA_NOT_UTF8 = 6;

    private PublishRules()
    {
    }

    /**
     * @return {@link #PASS}, {@link #TOPIC_ALPHABET} or {@link #TOPIC_RESERVED}.
     */
    public static int checkTopic(final ByteBuf in, final PublishFrameReader frame)
    {
        if (!TopicNames.isValid(in, frame.topicIndex(), frame.topicLength()))
        {
            return TOPIC_ALPHABET;
        }
        if (TopicNames.isReserved(in, frame.topicIndex(), frame.topicLength()))
        {
            return TOPIC_RESERVED;
        }
        return PASS;
    }

    /**
     * @return {@link #PASS} or the first of {@link #EVENT_NAME}, {@link #DATA_EMPTY}, {@link #DATA_TOO_LARGE},
     *         {@link #DATA_NOT_UTF8} that fails.
     */
    public static int checkEventAndData(final ByteBuf in, final PublishFrameReader frame, final int maxDataBytes)
    {
        if (frame.eventLength() > 0 && !TopicNames.isValidEventName(in, frame.eventIndex(), frame.eventLength()))
        {
            return EVENT_NAME;
        }
        final long dataLength = frame.dataLength();
        if (0 == dataLength)
        {
            return DATA_EMPTY;
        }
        if (dataLength > maxDataBytes)
        {
            return DATA_TOO_LARGE;
        }
        if (!Utf8Text.isValid(in, frame.dataIndex(), (int)dataLength))
        {
            return DATA_NOT_UTF8;
        }
        return PASS;
    }

    /**
     * @return the protocol's per-frame error code for a failed rule.
     */
    public static int code(final int rule)
    {
        switch (rule)
        {
            case TOPIC_ALPHABET:
            case TOPIC_RESERVED:
                return IngestErrorCode.INVALID_TOPIC;
            case EVENT_NAME:
                return IngestErrorCode.INVALID_EVENT;
            case DATA_EMPTY:
                return IngestErrorCode.EMPTY_DATA;
            case DATA_TOO_LARGE:
                return IngestErrorCode.DATA_TOO_LARGE;
            case DATA_NOT_UTF8:
                return IngestErrorCode.INVALID_UTF8;
            default:
                throw new IllegalArgumentException("not a failed rule: " + rule);
        }
    }

    /**
     * @return the {@code ERROR} message for a failed rule (cold path).
     */
    public static String message(final int rule, final PublishFrameReader frame, final int maxDataBytes)
    {
        switch (rule)
        {
            case TOPIC_ALPHABET:
                return "topic must be 1 to 128 bytes of A-Z a-z 0-9 . _ - : ~ @";
            case TOPIC_RESERVED:
                return "topics starting with " + TopicNames.RESERVED_PREFIX + " are the broker's own";
            case EVENT_NAME:
                return "event name must be 1 to 64 printable ASCII characters without spaces";
            case DATA_EMPTY:
                return "data must not be empty";
            case DATA_TOO_LARGE:
                return "data of " + frame.dataLength() + " bytes exceeds the maximum of " + maxDataBytes;
            case DATA_NOT_UTF8:
                return "data is not valid UTF-8";
            default:
                throw new IllegalArgumentException("not a failed rule: " + rule);
        }
    }
}

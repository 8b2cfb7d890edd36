package io.ssebroker.client;

/**
 * Layout of ingest protocol frames, version 1 (docs/ingest-protocol.md). All integers are big-endian.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                  length (u32) = 1 + body length               |
 *  +---------------+-----------------------------------------------+
 *  |   type (u8)   |  body (length - 1 bytes) ...                  |
 *  +---------------+-----------------------------------------------+
 * </pre>
 * <b>Threading:</b> constants only.
 */
public final class IngestFrameDescriptor
{
    /** {@code SSEB} in ASCII, first field of {@code HELLO}. */
    public static final int MAGIC = 0x53534542;
    /** Protocol version 1: no publisher identity. */
    public static final int VERSION = 1;
    /** Protocol version 2: an optional publisher id in {@code HELLO} and a publisher sequence on each {@code PUBLISH}. */
    public static final int VERSION_2 = 2;

    /** Bytes of the length prefix, which does not count itself. */
    public static final int LENGTH_FIELD_BYTES = 4;
    /** Bytes of the type field. */
    public static final int TYPE_BYTES = 1;
    /** Bytes before the body: length prefix and type. */
    public static final int HEADER_BYTES = LENGTH_FIELD_BYTES + TYPE_BYTES;

    public static final byte TYPE_HELLO = 0x01;
    public static final byte TYPE_WELCOME = 0x02;
    public static final byte TYPE_PUBLISH = 0x10;
    public static final byte TYPE_ACK = 0x11;
    public static final byte TYPE_PING = 0x20;
    public static final byte TYPE_PONG = 0x21;
    public static final byte TYPE_ERROR = 0x7F;

    /** {@code HELLO} body without token and name: magic u32, version u8, tokenLength u16, nameLength u16. */
    public static final int HELLO_FIXED_BODY_BYTES = 4 + 1 + 2 + 2;
    /** {@code WELCOME} body: version u8, maxFrameBytes u32, maxDataBytes u32, maxInFlight u32, epochId u64. */
    public static final int WELCOME_BODY_BYTES = 1 + 4 + 4 + 4 + 8;
    /** Version 2 {@code WELCOME} adds lastPublisherSeq u64, dedupWindowEvents u32, dedupWindowMs u32. */
    public static final int WELCOME_V2_BODY_BYTES = WELCOME_BODY_BYTES + 8 + 4 + 4;
    /** Version 2 {@code HELLO} adds publisherIdLength u8 after the name. */
    public static final int HELLO_V2_FIXED_BODY_BYTES = HELLO_FIXED_BODY_BYTES + 1;
    /** Largest {@code length} of a {@code HELLO}; a first frame above it fails the handshake at once. */
    public static final int MAX_HELLO_BYTES = 8192;
    /** Largest publisher id, in bytes of the topic-name alphabet. */
    public static final int MAX_PUBLISHER_ID_BYTES = 64;
    /** Version 2 {@code PUBLISH} starts with publisherSeq u64. */
    public static final int PUBLISHER_SEQ_BYTES = 8;
    /** {@code PUBLISH} body without topic, event and data: topicLength u16, eventLength u8, dataLength u32. */
    public static final int PUBLISH_FIXED_BODY_BYTES = 2 + 1 + 4;
    /** {@code ACK} body: firstSeq u64, count u32, firstId u64. */
    public static final int ACK_BODY_BYTES = 8 + 4 + 8;
    /** {@code PING} and {@code PONG} body: nonce u64. */
    public static final int PING_BODY_BYTES = 8;
    /** {@code ERROR} body without the message: seq u64, code u16, messageLength u16. */
    public static final int ERROR_FIXED_BODY_BYTES = 8 + 2 + 2;

    /** Largest token and name lengths the u16 fields can carry; the protocol limits the name to 255. */
    public static final int MAX_NAME_BYTES = 255;
    public static final int MAX_TOKEN_BYTES = 0xFFFF;
    /** Largest topic name the broker accepts. */
    public static final int MAX_TOPIC_BYTES = 128;
    /** Largest event name the u8 field can carry; the broker accepts up to {@link #MAX_EVENT_BYTES}. */
    public static final int MAX_EVENT_FIELD_BYTES = 0xFF;
    /** Largest event name the broker accepts. */
    public static final int MAX_EVENT_BYTES = 64;

    /** The broker's default largest frame {@code length}, before {@code WELCOME} says otherwise. */
    public static final int DEFAULT_MAX_FRAME_BYTES = 1_048_576 + 512;
    /** Largest frame the broker can send us: an {@code ERROR} with a 64 KiB message. */
    public static final int MAX_INBOUND_FRAME_BYTES = TYPE_BYTES + ERROR_FIXED_BODY_BYTES + 0xFFFF;

    private IngestFrameDescriptor()
    {
    }

    /**
     * Value of the length field of a {@code PUBLISH} frame.
     *
     * @param topicBytes UTF-8 length of the topic.
     * @param eventBytes length of the event name, 0 for none.
     * @param dataBytes  length of the data.
     * @return type byte plus body length.
     */
    public static long publishFrameLength(final int topicBytes, final int eventBytes, final int dataBytes)
    {
        return publishFrameLength(topicBytes, eventBytes, dataBytes, false);
    }

    /**
     * Value of the length field of a {@code PUBLISH} frame in either version.
     *
     * @param version2 whether it carries the version 2 publisher sequence.
     * @return type byte plus body length.
     */
    public static long publishFrameLength(
        final int topicBytes, final int eventBytes, final int dataBytes, final boolean version2)
    {
        return (long)TYPE_BYTES + (version2 ? PUBLISHER_SEQ_BYTES : 0) + PUBLISH_FIXED_BODY_BYTES +
            topicBytes + eventBytes + dataBytes;
    }
}

package io.ssebroker.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

import static io.ssebroker.client.IngestFrameDescriptor.HELLO_FIXED_BODY_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.LENGTH_FIELD_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.MAGIC;
import static io.ssebroker.client.IngestFrameDescriptor.MAX_EVENT_FIELD_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.MAX_NAME_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.MAX_TOKEN_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.PING_BODY_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.TYPE_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.TYPE_HELLO;
import static io.ssebroker.client.IngestFrameDescriptor.TYPE_PING;
import static io.ssebroker.client.IngestFrameDescriptor.TYPE_PUBLISH;
import static io.ssebroker.client.IngestFrameDescriptor.VERSION;

/**
 * Writes publisher-to-broker frames of the ingest protocol into a caller-owned buffer.
 * <p>
 * The encoder never allocates: topic and event names are written from their {@link CharSequence} with
 * {@link ByteBufUtil#writeUtf8}, data is copied from the caller's array or buffer, whose ownership does not
 * change. Field lengths that cannot be represented on the wire throw {@link IllegalArgumentException};
 * values the broker rejects per frame (a topic over 128 bytes, an event over 64) are left to the broker so
 * that the client and the broker never disagree on the rules.
 * <p>
 * <b>Threading:</b> stateless.
 */
public final class IngestFrameEncoder
{
    private IngestFrameEncoder()
    {
    }

    /**
     * Length in bytes of a {@code HELLO} frame including its length prefix.
     *
     * @param token UTF-8 token, may be empty.
     * @param name  UTF-8 publisher name, may be empty.
     * @return frame length on the wire.
     */
    public static int helloFrameBytes(final byte[] token, final byte[] name)
    {
        return LENGTH_FIELD_BYTES + TYPE_BYTES + HELLO_FIXED_BODY_BYTES + token.length + name.length;
    }

    /**
     * Writes {@code HELLO}.
     *
     * @param out   destination, written from its writer index.
     * @param token UTF-8 token, may be empty.
     * @param name  UTF-8 publisher name, at most 255 bytes.
     */
    public static void encodeHello(final ByteBuf out, final byte[] token, final byte[] name)
    {
        encodeHello(out, token, name, null);
    }

    /**
     * Length in bytes of a {@code HELLO} frame including its length prefix.
     *
     * @param publisherId ASCII publisher id for version 2, or null for version 1.
     * @return frame length on the wire.
     */
    public static int helloFrameBytes(final byte[] token, final byte[] name, final byte[] publisherId)
    {
        return helloFrameBytes(token, name) + (null == publisherId ? 0 : 1 + publisherId.length);
    }

    /**
     * Writes {@code HELLO}: version 2 with this publisher id, or version 1 when it is null.
     *
     * @param publisherId at most 64 bytes of the topic-name alphabet, or null.
     */
    public static void encodeHello(final ByteBuf out, final byte[] token, final byte[] name, final byte[] publisherId)
    {
        if (null != publisherId && publisherId.length > IngestFrameDescriptor.MAX_PUBLISHER_ID_BYTES)
        {
            throw new IllegalArgumentException("publisher id must be at most " +
                IngestFrameDescriptor.MAX_PUBLISHER_ID_BYTES + " bytes, was " + publisherId.length);
        }
        if (token.length > MAX_TOKEN_BYTES)
        {
            throw new IllegalArgumentException("token must be at most " + MAX_TOKEN_BYTES + " bytes, was " + token.length);
        }
        if (name.length > MAX_NAME_BYTES)
        {
            throw new IllegalArgumentException("name must be at most " + MAX_NAME_BYTES + " bytes, was " + name.length);
        }
        out.writeInt(helloFrameBytes(token, name, publisherId) - LENGTH_FIELD_BYTES);
        out.writeByte(TYPE_HELLO);
        out.writeInt(MAGIC);
        out.writeByte(null == publisherId ? VERSION : IngestFrameDescriptor.VERSION_2);
        out.writeShort(token.length);
        out.writeBytes(token);
        out.writeShort(name.length);
        out.writeBytes(name);
        if (null != publisherId)
        {
            out.writeByte(publisherId.length);
            out.writeBytes(publisherId);
        }
    }

    /**
     * Writes {@code PING}.
     *
     * @param out   destination.
     * @param nonce echoed by the broker in {@code PONG}.
     */
    public static void encodePing(final ByteBuf out, final long nonce)
    {
        out.writeInt(TYPE_BYTES + PING_BODY_BYTES);
        out.writeByte(TYPE_PING);
        out.writeLong(nonce);
    }

    /**
     * Writes {@code PUBLISH}. The caller has measured the names with {@link ByteBufUtil#utf8Bytes} and
     * checked the frame against the broker's maximum; see {@link IngestFrameDescriptor#publishFrameLength}.
     *
     * @param out        destination.
     * @param topic      topic name.
     * @param topicBytes UTF-8 length of {@code topic}, at most 65535.
     * @param event      event name, null or empty for none.
     * @param eventBytes UTF-8 length of {@code event}, at most 255.
     * @param data       payload source; its indices are not changed.
     * @param dataIndex  absolute index of the payload in {@code data}.
     * @param dataLength payload length.
     */
    public static void encodePublish(
        final ByteBuf out,
        final CharSequence topic,
        final int topicBytes,
        final CharSequence event,
        final int eventBytes,
        final ByteBuf data,
        final int dataIndex,
        final int dataLength)
    {
        writePublishHeader(out, topic, topicBytes, event, eventBytes, dataLength);
        out.writeBytes(data, dataIndex, dataLength);
    }

    /**
     * Writes {@code PUBLISH} with the payload taken from an array.
     *
     * @param out        destination.
     * @param topic      topic name.
     * @param topicBytes UTF-8 length of {@code topic}, at most 65535.
     * @param event      event name, null or empty for none.
     * @param eventBytes UTF-8 length of {@code event}, at most 255.
     * @param data       payload source.
     * @param dataOffset offset of the payload in {@code data}.
     * @param dataLength payload length.
     */
    public static void encodePublish(
        final ByteBuf out,
        final CharSequence topic,
        final int topicBytes,
        final CharSequence event,
        final int eventBytes,
        final byte[] data,
        final int dataOffset,
        final int dataLength)
    {
        writePublishHeader(out, topic, topicBytes, event, eventBytes, dataLength);
        out.writeBytes(data, dataOffset, dataLength);
    }

    private static void writePublishHeader(
        final ByteBuf out,
        final CharSequence topic,
        final int topicBytes,
        final CharSequence event,
        final int eventBytes,
        final int dataLength)
    {
        writePublishHeader(out, 0, false, topic, topicBytes, event, eventBytes, dataLength);
    }

    /**
     * Writes a {@code PUBLISH} up to its data, which the caller writes next from wherever it is:
     * version 2 starts with the publisher sequence, version 1 has none.
     *
     * @param publisherSeq increasing per publisher id, 0 for no deduplication; ignored in version 1.
     * @param version2     whether the connection speaks version 2.
     */
    public static void writePublishHeader(
        final ByteBuf out,
        final long publisherSeq,
        final boolean version2,
        final CharSequence topic,
        final int topicBytes,
        final CharSequence event,
        final int eventBytes,
        final int dataLength)
    {
        if (topicBytes > 0xFFFF || eventBytes > MAX_EVENT_FIELD_BYTES || dataLength < 0)
        {
            throwFieldTooLong(topicBytes, eventBytes, dataLength);
        }
        final long frameLength = IngestFrameDescriptor.publishFrameLength(topicBytes, eventBytes, dataLength, version2);
        out.writeInt((int)frameLength);
        out.writeByte(TYPE_PUBLISH);
        if (version2)
        {
            out.writeLong(publisherSeq);
        }
        out.writeShort(topicBytes);
        ByteBufUtil.writeUtf8(out, topic);
        out.writeByte(eventBytes);
        if (eventBytes > 0)
        {
            ByteBufUtil.writeUtf8(out, event);
        }
        out.writeInt(dataLength);
    }

    private static void throwFieldTooLong(final int topicBytes, final int eventBytes, final int dataLength)
    {
        throw new IllegalArgumentException(
            "publish fields out of range: topic " + topicBytes + " bytes (max 65535), event " + eventBytes +
            " bytes (max 255), data " + dataLength + " bytes (min 0)");
    }
}

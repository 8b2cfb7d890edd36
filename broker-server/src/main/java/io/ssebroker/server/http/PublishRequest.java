package io.ssebroker.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.ssebroker.codec.TopicNames;
import io.ssebroker.codec.Utf8Text;
import io.ssebroker.log.Topic;
import io.ssebroker.log.TopicRegistry;
import io.ssebroker.server.auth.TopicPatterns;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one parser of {@code POST /publish} bodies, for HTTP/1.1 and HTTP/2 alike: a form with the
 * fields {@code topic}, {@code data} and an optional {@code event}, or {@code ?topic=&event=} with
 * the raw body as the data. Validates the topic, the event name, the data's size and its UTF-8 the
 * way the ingest port does.
 * <p>
 * <b>Threading:</b> parsed and used on the connection's event loop.
 */
public final class PublishRequest
{
    /** Longest {@code Idempotency-Key} accepted. */
    public static final int MAX_IDEMPOTENCY_KEY_BYTES = 128;

    private final int topicIndex;
    private final byte[] key;
    private final ByteBuf event;
    private final ByteBuf data;

    private PublishRequest(final int topicIndex, final byte[] key, final ByteBuf event, final ByteBuf data)
    {
        this.topicIndex = topicIndex;
        this.key = key;
        this.event = event;
        this.data = data;
    }

    /**
     * @param contentType the request's {@code Content-Type}, or null.
     * @param body        the whole body; the caller keeps ownership and must keep it until
     *                    {@link #copyMessage} has been called.
     * @param maxDataBytes largest data accepted.
     * @param idempotencyKey the {@code Idempotency-Key} header, or null: a publish repeated with the
     *                       same key on the same topic is taken once and answered with the first id.
     * @throws HttpRejection 400 for a malformed form, a missing or invalid field or key, invalid UTF-8;
     *                       403 when {@code allowed} does not cover the topic; 413 for data over the limit; 503
     *                       when the topic limit is reached.
     * @param allowed        topics the publisher's token allows ({@link TopicPatterns#ANY} without authentication).
     */
    public static PublishRequest parse(
        final String contentType,
        final RequestTarget target,
        final ByteBuf body,
        final int maxDataBytes,
        final String idempotencyKey,
        final TopicRegistry registry,
        final TopicPatterns allowed) throws HttpRejection
    {
        final byte[] key = parseKey(idempotencyKey);
        final String topicName;
        final byte[] eventName;
        final ByteBuf data;
        if (null != contentType && contentType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded"))
        {
            final Map<String, List<byte[]>> fields;
            try
            {
                fields = FormBody.decode(body);
            }
            catch (final FormBody.MalformedFormException ex)
            {
                throw HttpRejection.badRequest(ex.getMessage());
            }
            final byte[] topicBytes = single(fields, "topic");
            final byte[] dataBytes = single(fields, "data");
            final byte[] eventBytes = single(fields, "event");
            if (null == topicBytes || null == dataBytes || (fields.containsKey("event") && null == eventBytes))
            {
                throw HttpRejection.badRequest("form must have exactly one topic, one data and at most one event field");
            }
            topicName = new String(topicBytes, StandardCharsets.UTF_8);
            eventName = eventBytes;
            data = Unpooled.wrappedBuffer(dataBytes);
        }
        else
        {
            final List<String> topics = target.parameters().get("topic");
            if (null == topics || topics.size() != 1)
            {
                throw HttpRejection.badRequest(
                    "missing topic: send a form (topic, data, event) or ?topic=NAME with the data as the body");
            }
            topicName = topics.get(0);
            final String event = target.first("event");
            eventName = null == event ? null : event.getBytes(StandardCharsets.UTF_8);
            data = body;
        }

        final String topicProblem = TopicNames.validate(topicName);
        if (null != topicProblem)
        {
            throw HttpRejection.badRequest("invalid topic '" + SubscribeRequest.printable(topicName) + "': " + topicProblem);
        }
        if (TopicNames.isReserved(topicName))
        {
            throw HttpRejection.forbidden("topics starting with " + TopicNames.RESERVED_PREFIX + " are the broker's own");
        }
        if (!allowed.allows(topicName))
        {
            throw HttpRejection.forbidden("the token does not allow publishing to '" + topicName + "'");
        }
        final ByteBuf event = null == eventName ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(eventName);
        if (event.isReadable() && !TopicNames.isValidEventName(event, event.readerIndex(), event.readableBytes()))
        {
            throw HttpRejection.badRequest("invalid event name: 1 to 64 printable ASCII characters without spaces");
        }
        if (!data.isReadable())
        {
            throw HttpRejection.badRequest("data must not be empty");
        }
        if (data.readableBytes() > maxDataBytes)
        {
            throw HttpRejection.tooLarge(
                "data of " + data.readableBytes() + " bytes exceeds the limit of " + maxDataBytes + " bytes");
        }
        if (!Utf8Text.isValid(data, data.readerIndex(), data.readableBytes()))
        {
            throw HttpRejection.badRequest("data is not valid UTF-8");
        }
        final Topic topic = registry.lookupOrCreate(topicName);
        if (null == topic)
        {
            throw HttpRejection.unavailable("topic limit reached");
        }
        return new PublishRequest(topic.index(), key, event, data);
    }

    /**
     * The key as a bare token or a quoted string (the structured-field form of the IETF
     * Idempotency-Key draft): 1 to 128 printable ASCII characters, no quotes or backslashes inside.
     */
    private static byte[] parseKey(final String header) throws HttpRejection
    {
        if (null == header)
        {
            return null;
        }
        String key = header.trim();
        if (key.length() >= 2 && key.charAt(0) == '"' && key.charAt(key.length() - 1) == '"')
        {
            key = key.substring(1, key.length() - 1);
        }
        boolean valid = !key.isEmpty() && key.length() <= MAX_IDEMPOTENCY_KEY_BYTES;
        for (int i = 0; valid && i < key.length(); i++)
        {
            final char c = key.charAt(i);
            valid = c >= 0x21 && c <= 0x7E && c != '"' && c != '\\';
        }
        if (!valid)
        {
            throw HttpRejection.badRequest("Idempotency-Key must be 1 to " + MAX_IDEMPOTENCY_KEY_BYTES +
                " printable ASCII characters without quotes or backslashes, optionally in double quotes");
        }
        return key.getBytes(StandardCharsets.US_ASCII);
    }

    public int topicIndex()
    {
        return topicIndex;
    }

    /**
     * @return length of the idempotency key at the start of {@link #copyMessage}'s buffer (0 for none).
     */
    public int keyLength()
    {
        return null == key ? 0 : key.length;
    }

    /**
     * @return length of the event name after the key in {@link #copyMessage}'s buffer (0 for none).
     */
    public int eventLength()
    {
        return event.readableBytes();
    }

    /**
     * @return a new buffer, owned by the caller, holding the key, the event name and the data: the
     *         layout the ingest ring's producers take.
     */
    public ByteBuf copyMessage(final ByteBufAllocator alloc)
    {
        final ByteBuf message = alloc.buffer(keyLength() + event.readableBytes() + data.readableBytes());
        if (null != key)
        {
            message.writeBytes(key);
        }
        message.writeBytes(event, event.readerIndex(), event.readableBytes());
        message.writeBytes(data, data.readerIndex(), data.readableBytes());
        return message;
    }

    private static byte[] single(final Map<String, List<byte[]>> fields, final String name)
    {
        final List<byte[]> values = fields.get(name);
        return null == values || values.size() != 1 ? null : values.get(0);
    }
}

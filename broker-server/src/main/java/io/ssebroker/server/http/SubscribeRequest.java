package io.ssebroker.server.http;

import io.ssebroker.codec.TopicNames;
import io.ssebroker.log.Topic;
import io.ssebroker.log.TopicRegistry;
import io.ssebroker.server.auth.TopicPatterns;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The one parser of {@code GET /events}, for HTTP/1.1 and HTTP/2 alike: the distinct topics, each
 * validated and registered, and the resume point from the {@code Last-Event-ID} header or, when it
 * is absent, the {@code lastEventId} query parameter.
 * <p>
 * <b>Threading:</b> parsed on the connection's event loop; immutable.
 */
public final class SubscribeRequest
{
    private final int[] topicIndexes;
    private final String lastEventId;

    private SubscribeRequest(final int[] topicIndexes, final String lastEventId)
    {
        this.topicIndexes = topicIndexes;
        this.lastEventId = lastEventId;
    }

    /**
     * @param lastEventIdHeader the {@code Last-Event-ID} header, or null when absent.
     * @param maxTopics         most distinct topics one stream may name.
     * @param allowed           topics the subscriber's token allows ({@link TopicPatterns#ANY} without authentication);
     *                          checked before any topic is created.
     * @throws HttpRejection 400 for a missing, invalid or excessive topic list, 403 for a topic the token does not
     *                       allow, 503 when the broker's topic limit is reached.
     */
    public static SubscribeRequest parse(
        final RequestTarget target,
        final String lastEventIdHeader,
        final TopicRegistry registry,
        final int maxTopics,
        final TopicPatterns allowed)
        throws HttpRejection
    {
        final List<String> names = target.parameters().get("topic");
        if (null == names || names.isEmpty())
        {
            throw HttpRejection.badRequest("missing topic parameter (GET /events?topic=NAME)");
        }
        final Set<String> distinct = new LinkedHashSet<>(names);
        if (distinct.size() > maxTopics)
        {
            throw HttpRejection.badRequest(
                "too many topics: " + distinct.size() + " (at most " + maxTopics + " per stream)");
        }
        for (final String name : distinct)
        {
            final String problem = TopicNames.validate(name);
            if (null != problem)
            {
                throw HttpRejection.badRequest("invalid topic '" + printable(name) + "': " + problem);
            }
        }
        for (final String name : distinct)
        {
            if (!allowed.allows(name))
            {
                throw HttpRejection.forbidden("the token does not allow subscribing to '" + name + "'");
            }
        }
        final int[] topicIndexes = new int[distinct.size()];
        int i = 0;
        for (final String name : distinct)
        {
            final Topic topic = registry.lookupOrCreate(name);
            if (null == topic)
            {
                throw HttpRejection.unavailable("topic limit reached");
            }
            topicIndexes[i++] = topic.index();
        }

        String lastEventId = null != lastEventIdHeader ? lastEventIdHeader : target.first("lastEventId");
        if (null != lastEventId && lastEventId.isEmpty())
        {
            // The browser sends an empty header when it never saw an id: treat as a fresh start.
            lastEventId = null;
        }
        return new SubscribeRequest(topicIndexes, lastEventId);
    }

    /**
     * @return distinct topic indexes, in the order the request named them.
     */
    public int[] topicIndexes()
    {
        return topicIndexes;
    }

    /**
     * @return the resume point as the client sent it, or null for a fresh start.
     */
    public String lastEventId()
    {
        return lastEventId;
    }

    /**
     * A name as it may appear in a one-line reason: at most 64 characters, non-printable ones as {@code ?}.
     */
    static String printable(final String text)
    {
        final String cut = text.length() > 64 ? text.substring(0, 64) + "..." : text;
        return cut.replaceAll("[^\\x20-\\x7E]", "?");
    }
}

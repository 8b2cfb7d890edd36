package io.ssebroker.loadgen;

import java.net.InetSocketAddress;
import java.net.URI;

/**
 * The subscriber URL template resolved for each topic: one remote address and a request path per topic.
 * <p>
 * <b>Threading:</b> immutable after construction.
 */
final class SubscribeTarget
{
    static final String TOPIC_PLACEHOLDER = "{topic}";

    private final InetSocketAddress remote;
    private final String authority;
    private final String[] paths;

    /**
     * @param template URL with {@code {topic}}, e.g. {@code http://127.0.0.1:8080/events?topic={topic}}.
     * @param topics   number of topics, named {@code t0..t(topics-1)}.
     */
    SubscribeTarget(final String template, final int topics)
    {
        if (!template.contains(TOPIC_PLACEHOLDER))
        {
            throw new IllegalArgumentException("--sub-url must contain {topic}, was " + template);
        }
        final URI first = URI.create(template.replace(TOPIC_PLACEHOLDER, topicName(0)));
        if (!"http".equals(first.getScheme()) || null == first.getHost())
        {
            throw new IllegalArgumentException("--sub-url must be an http:// URL with a host, was " + template);
        }
        final int port = -1 == first.getPort() ? 80 : first.getPort();
        this.remote = new InetSocketAddress(first.getHost(), port);
        this.authority = first.getHost() + ":" + port;
        this.paths = new String[topics];
        for (int i = 0; i < topics; i++)
        {
            final URI uri = URI.create(template.replace(TOPIC_PLACEHOLDER, topicName(i)));
            paths[i] = (null == uri.getRawPath() || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath()) +
                (null == uri.getRawQuery() ? "" : "?" + uri.getRawQuery());
        }
    }

    /**
     * @param topic topic index.
     * @return its name, {@code t<index>}.
     */
    static String topicName(final int topic)
    {
        return "t" + topic;
    }

    InetSocketAddress remote()
    {
        return remote;
    }

    String authority()
    {
        return authority;
    }

    String path(final int topic)
    {
        return paths[topic];
    }
}

package io.ssebroker.server.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.ssebroker.server.dashboard.StatsFeed;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.io.UncheckedIOException;

/**
 * The broker's built-in pages, self-contained (no asset from elsewhere), served from the same origin as the
 * streams (so a browser multiplexes them over one HTTP/2 connection): {@code GET /}, live tickers with one
 * {@code EventSource} per topic of its query; {@code GET /dashboard}, the broker's own numbers from the
 * {@code @broker.stats} topic. Loaded once from the jar.
 * <p>
 * <b>Threading:</b> immutable, shared by all connections.
 */
public final class StaticPages
{
    private static final byte[] INDEX = load("index.html");
    private static final byte[] DASHBOARD = load("dashboard.html");

    private StaticPages()
    {
    }

    /**
     * @return the page as a complete response, owned by the caller.
     */
    public static FullHttpResponse index(final ByteBufAllocator alloc)
    {
        return page(alloc, INDEX);
    }

    /**
     * @param statsTopic the topic the page follows: {@link StatsFeed#TOPIC}, which dashboard.html names, or a
     *                   cluster node's own.
     * @return the dashboard as a complete response, owned by the caller.
     */
    public static FullHttpResponse dashboard(final ByteBufAllocator alloc, final String statsTopic)
    {
        if (StatsFeed.TOPIC.equals(statsTopic))
        {
            return page(alloc, DASHBOARD);
        }
        // A page request is rare: the node's page is made when asked for.
        return page(alloc, new String(DASHBOARD, StandardCharsets.UTF_8).replace(StatsFeed.TOPIC, statsTopic)
            .getBytes(StandardCharsets.UTF_8));
    }

    private static FullHttpResponse page(final ByteBufAllocator alloc, final byte[] html)
    {
        final FullHttpResponse response = new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, alloc.buffer(html.length).writeBytes(html));
        response.headers()
            .set(HttpHeaderNames.CONTENT_TYPE, "text/html; charset=utf-8")
            .set(HttpHeaderNames.CONTENT_LENGTH, html.length)
            .set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        return response;
    }

    private static byte[] load(final String name)
    {
        try (InputStream in = StaticPages.class.getResourceAsStream(name))
        {
            if (null == in)
            {
                throw new IllegalStateException("missing resource " + name + " next to " + StaticPages.class.getName());
            }
            return in.readAllBytes();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}

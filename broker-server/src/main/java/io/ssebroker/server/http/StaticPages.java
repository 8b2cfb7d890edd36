package io.ssebroker.server.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The broker's one built-in page, {@code GET /}: a live view that opens an {@code EventSource} per
 * topic named in its query, served from the same origin as the streams (so a browser multiplexes
 * them over one HTTP/2 connection). Loaded once from the jar.
 * <p>
 * <b>Threading:</b> immutable, shared by all connections.
 */
public final class StaticPages
{
    private static final byte[] INDEX = load("index.html");

    private StaticPages()
    {
    }

    /**
     * @return the page as a complete response, owned by the caller.
     */
    public static FullHttpResponse index(final ByteBufAllocator alloc)
    {
        final FullHttpResponse response = new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, alloc.buffer(INDEX.length).writeBytes(INDEX));
        response.headers()
            .set(HttpHeaderNames.CONTENT_TYPE, "text/html; charset=utf-8")
            .set(HttpHeaderNames.CONTENT_LENGTH, INDEX.length)
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

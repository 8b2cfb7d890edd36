package io.ssebroker.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Builds responses: plain-text errors with a one-line reason, CORS headers, and the raw header block
 * of an event stream.
 * <p>
 * CORS: with the default origin {@code *} every response allows any origin without credentials.
 * With an explicit origin list, a request whose {@code Origin} is listed gets that origin echoed
 * and {@code Access-Control-Allow-Credentials: true} (so {@code EventSource} with
 * {@code withCredentials} works); others get no allow-origin header, and the browser blocks them.
 * <p>
 * <b>Threading:</b> immutable, shared by all connections.
 */
final class HttpResponses
{
    private final boolean anyOrigin;
    private final Set<String> origins;

    HttpResponses(final List<String> corsOrigins)
    {
        this.anyOrigin = corsOrigins.contains("*");
        this.origins = new HashSet<>(corsOrigins);
    }

    FullHttpResponse text(
        final ByteBufAllocator alloc, final HttpResponseStatus status, final String body, final String origin)
    {
        final ByteBuf content = alloc.buffer(body.length() + 1);
        content.writeCharSequence(body, StandardCharsets.UTF_8);
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        final HttpHeaders headers = response.headers();
        headers.set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        headers.set(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        headers.set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        cors(headers, origin);
        return response;
    }

    FullHttpResponse preflight(final String origin, final String requestHeaders)
    {
        final FullHttpResponse response =
            new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT, Unpooled.EMPTY_BUFFER);
        final HttpHeaders headers = response.headers();
        cors(headers, origin);
        headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS");
        headers.set(
            HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS,
            null != requestHeaders ? requestHeaders : "Last-Event-ID, Cache-Control, Content-Type");
        headers.set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "86400");
        headers.set(HttpHeaderNames.CONTENT_LENGTH, 0);
        return response;
    }

    void cors(final HttpHeaders headers, final String origin)
    {
        if (anyOrigin)
        {
            headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        }
        else
        {
            headers.set(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
            if (null != origin && origins.contains(origin))
            {
                headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
                headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
            }
        }
    }

    /**
     * Status line and headers of an event stream, ready to write once the codec is gone.
     */
    ByteBuf streamHead(final ByteBufAllocator alloc, final String origin, final boolean http10)
    {
        final StringBuilder head = new StringBuilder(256)
            .append(http10 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n")
            .append("Content-Type: text/event-stream; charset=utf-8\r\n")
            .append("Cache-Control: no-cache\r\n")
            .append("X-Accel-Buffering: no\r\n")
            // HTTP/1.0 has no chunked coding (RFC 9112 6.1): the body is delimited by the close.
            .append(http10 ? "Connection: close\r\n" : "Transfer-Encoding: chunked\r\n");
        if (anyOrigin)
        {
            head.append("Access-Control-Allow-Origin: *\r\n");
        }
        else
        {
            head.append("Vary: Origin\r\n");
            if (null != origin && origins.contains(origin))
            {
                head.append("Access-Control-Allow-Origin: ").append(origin).append("\r\n")
                    .append("Access-Control-Allow-Credentials: true\r\n");
            }
        }
        head.append("\r\n");
        final ByteBuf buf = alloc.buffer(head.length());
        buf.writeCharSequence(head, StandardCharsets.ISO_8859_1);
        return buf;
    }
}

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
public final class HttpResponses
{
    private static final byte[] ALLOW_ORIGIN = "Access-Control-Allow-Origin: ".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] ALLOW_CREDENTIALS =
        "\r\nAccess-Control-Allow-Credentials: true\r\n".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] END_OF_HEAD = {'\r', '\n'};

    private final boolean anyOrigin;
    private final Set<String> origins;
    private final byte[] streamHead11;
    private final byte[] streamHead10;

    public HttpResponses(final List<String> corsOrigins)
    {
        this.anyOrigin = corsOrigins.contains("*");
        this.origins = new HashSet<>(corsOrigins);
        this.streamHead11 = encodeStreamHead(false);
        this.streamHead10 = encodeStreamHead(true);
    }

    public FullHttpResponse text(
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

    /**
     * {@code 200} with the metrics exposition; not cached, no CORS (scrapers are not browsers).
     */
    public FullHttpResponse metrics(final ByteBufAllocator alloc, final byte[] body, final String contentType)
    {
        final ByteBuf content = alloc.buffer(body.length).writeBytes(body);
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, content);
        response.headers()
            .set(HttpHeaderNames.CONTENT_TYPE, contentType)
            .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
            .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        return response;
    }

    public FullHttpResponse preflight(final String origin, final String requestHeaders)
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

    public void cors(final HttpHeaders headers, final String origin)
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
     * Status line and headers of an event stream, ready to write once the codec is gone. Everything
     * but an echoed origin is pre-encoded: a stream start copies constant bytes into one pooled
     * buffer instead of building a string per subscriber.
     */
    ByteBuf streamHead(final ByteBufAllocator alloc, final String origin, final boolean http10)
    {
        final byte[] head = http10 ? streamHead10 : streamHead11;
        final boolean echo = !anyOrigin && null != origin && origins.contains(origin);
        if (!echo)
        {
            return alloc.buffer(head.length + END_OF_HEAD.length).writeBytes(head).writeBytes(END_OF_HEAD);
        }
        final ByteBuf buf = alloc.buffer(head.length + ALLOW_ORIGIN.length + origin.length() + ALLOW_CREDENTIALS.length + 2);
        buf.writeBytes(head).writeBytes(ALLOW_ORIGIN);
        buf.writeCharSequence(origin, StandardCharsets.ISO_8859_1);
        return buf.writeBytes(ALLOW_CREDENTIALS).writeBytes(END_OF_HEAD);
    }

    private byte[] encodeStreamHead(final boolean http10)
    {
        final String head = (http10 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n") +
            "Content-Type: text/event-stream; charset=utf-8\r\n" +
            "Cache-Control: no-cache\r\n" +
            "X-Accel-Buffering: no\r\n" +
            // HTTP/1.0 has no chunked coding (RFC 9112 6.1): the body is delimited by the close.
            (http10 ? "Connection: close\r\n" : "Transfer-Encoding: chunked\r\n") +
            (anyOrigin ? "Access-Control-Allow-Origin: *\r\n" : "Vary: Origin\r\n");
        return head.getBytes(StandardCharsets.ISO_8859_1);
    }
}

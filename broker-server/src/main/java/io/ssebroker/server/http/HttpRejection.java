package io.ssebroker.server.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.ssebroker.metrics.Counter;

/**
 * A request the broker refuses: the status, the one-line reason sent as the body, and the counter
 * it is counted under. The same rejection is answered the same way over HTTP/1.1 and HTTP/2.
 * <p>
 * Thrown by the request parsers on a cold path; it carries no stack trace, which would only say
 * which parser found the problem.
 */
public final class HttpRejection extends Exception
{
    private final HttpResponseStatus status;
    private final String reason;
    private final Counter counter;
    private final CharSequence headerName;
    private final String headerValue;

    public HttpRejection(final HttpResponseStatus status, final String reason, final Counter counter)
    {
        this(status, reason, counter, null);
    }

    /**
     * @param allow the methods a 405 lists in its {@code Allow} header, or null.
     */
    public HttpRejection(final HttpResponseStatus status, final String reason, final Counter counter, final String allow)
    {
        this(status, reason, counter, null == allow ? null : HttpHeaderNames.ALLOW, allow);
    }

    private HttpRejection(
        final HttpResponseStatus status,
        final String reason,
        final Counter counter,
        final CharSequence headerName,
        final String headerValue)
    {
        super(reason, null, false, false);
        this.status = status;
        this.reason = reason;
        this.counter = counter;
        this.headerName = headerName;
        this.headerValue = headerValue;
    }

    /**
     * 401 with a {@code WWW-Authenticate: Bearer} challenge (RFC 6750): {@code invalid_token} when a token was
     * presented, no error code when none was.
     */
    public static HttpRejection unauthorized(final String reason, final boolean tokenPresented)
    {
        final String challenge = tokenPresented ?
            "Bearer realm=\"sse-broker\", error=\"invalid_token\", error_description=\"" + reason.replace('"', '\'') + "\"" :
            "Bearer realm=\"sse-broker\"";
        return new HttpRejection(HttpResponseStatus.UNAUTHORIZED, reason, Counter.HTTP_UNAUTHORIZED,
            HttpHeaderNames.WWW_AUTHENTICATE, challenge);
    }

    /**
     * 403: the token is valid but does not allow what was asked.
     */
    public static HttpRejection forbidden(final String reason)
    {
        return new HttpRejection(HttpResponseStatus.FORBIDDEN, reason, Counter.HTTP_FORBIDDEN);
    }

    public static HttpRejection badRequest(final String reason)
    {
        return new HttpRejection(HttpResponseStatus.BAD_REQUEST, reason, Counter.HTTP_BAD_REQUEST);
    }

    public static HttpRejection unavailable(final String reason)
    {
        return new HttpRejection(HttpResponseStatus.SERVICE_UNAVAILABLE, reason, Counter.HTTP_UNAVAILABLE);
    }

    public static HttpRejection tooLarge(final String reason)
    {
        return new HttpRejection(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, reason, Counter.HTTP_BODY_TOO_LARGE);
    }

    public HttpResponseStatus status()
    {
        return status;
    }

    /**
     * @return the reason, one line without its line break.
     */
    public String reason()
    {
        return reason;
    }

    public Counter counter()
    {
        return counter;
    }

    /**
     * @return the name of a header the answer must carry ({@code Allow} of a 405, {@code WWW-Authenticate} of a
     *         401), or null.
     */
    public CharSequence headerName()
    {
        return headerName;
    }

    /**
     * @return that header's value, or null.
     */
    public String headerValue()
    {
        return headerValue;
    }
}

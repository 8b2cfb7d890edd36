package io.ssebroker.server.http;

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
    private final String allow;

    public HttpRejection(final HttpResponseStatus status, final String reason, final Counter counter)
    {
        this(status, reason, counter, null);
    }

    /**
     * @param allow the methods a 405 lists in its {@code Allow} header, or null.
     */
    public HttpRejection(final HttpResponseStatus status, final String reason, final Counter counter, final String allow)
    {
        super(reason, null, false, false);
        this.status = status;
        this.reason = reason;
        this.counter = counter;
        this.allow = allow;
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
     * @return the {@code Allow} header value of a 405, or null.
     */
    public String allow()
    {
        return allow;
    }
}

package io.ssebroker.server.http;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.CharsetUtil;
import io.ssebroker.metrics.Counter;

import java.util.List;
import java.util.Map;

/**
 * A request's path and query, and which of the broker's endpoints it names: the routing shared by
 * HTTP/1.1 and HTTP/2, so both answer an unknown path or a wrong method with the same status and
 * reason.
 * <p>
 * <b>Threading:</b> immutable once parsed; parsed on the connection's event loop.
 */
public final class RequestTarget
{
    private static final int MAX_QUERY_PARAMS = 4096;

    /** What a request asks for. */
    public enum Endpoint
    {
        /** {@code GET /events}: open an event stream. */
        SUBSCRIBE,
        /** {@code POST /publish}. */
        PUBLISH,
        /** {@code OPTIONS} on {@code /events} or {@code /publish}: CORS preflight. */
        PREFLIGHT,
        /** {@code GET} or {@code HEAD /health}: liveness, 200 while the process serves HTTP. */
        HEALTH,
        /** {@code GET} or {@code HEAD /ready}: 200 while accepting and sequencing, 503 while draining. */
        READY,
        /** {@code GET} or {@code HEAD /metrics}: the Prometheus text exposition. */
        METRICS,
        /** {@code GET /}: the built-in live ticker page ({@link StaticPages}). */
        PAGE,
        /** {@code GET /dashboard}: the broker's own numbers, live ({@link StaticPages}). */
        DASHBOARD
    }

    private final String path;
    private final Map<String, List<String>> parameters;
    private final Endpoint endpoint;

    private RequestTarget(final String path, final Map<String, List<String>> parameters, final Endpoint endpoint)
    {
        this.path = path;
        this.parameters = parameters;
        this.endpoint = endpoint;
    }

    /**
     * @param uri the request target ({@code :path} in HTTP/2).
     * @throws HttpRejection 400 for a target that does not decode, 404 for an unknown path, 405 for
     *                       a method the path does not take.
     */
    public static RequestTarget parse(final HttpMethod method, final String uri) throws HttpRejection
    {
        final String path;
        final Map<String, List<String>> parameters;
        try
        {
            final QueryStringDecoder query = new QueryStringDecoder(uri, CharsetUtil.UTF_8, true, MAX_QUERY_PARAMS);
            // Decoding is lazy: force it here so a bad percent escape is a 400, not a handler failure.
            path = query.path();
            parameters = query.parameters();
        }
        catch (final IllegalArgumentException ex)
        {
            throw HttpRejection.badRequest("malformed request target: " + ex.getMessage());
        }
        return new RequestTarget(path, parameters, endpoint(method, path));
    }

    private static Endpoint endpoint(final HttpMethod method, final String path) throws HttpRejection
    {
        switch (path)
        {
            case "/events":
                if (HttpMethod.GET.equals(method))
                {
                    return Endpoint.SUBSCRIBE;
                }
                return preflightOr(method, "GET, OPTIONS");

            case "/publish":
                if (HttpMethod.POST.equals(method))
                {
                    return Endpoint.PUBLISH;
                }
                return preflightOr(method, "POST, OPTIONS");

            case "/":
            case "/index.html":
                if (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method))
                {
                    return Endpoint.PAGE;
                }
                throw methodNotAllowed(method, "GET, HEAD");

            case "/dashboard":
                if (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method))
                {
                    return Endpoint.DASHBOARD;
                }
                throw methodNotAllowed(method, "GET, HEAD");

            case "/health":
                if (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method))
                {
                    return Endpoint.HEALTH;
                }
                throw methodNotAllowed(method, "GET, HEAD");

            case "/ready":
                if (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method))
                {
                    return Endpoint.READY;
                }
                throw methodNotAllowed(method, "GET, HEAD");

            case "/metrics":
                if (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method))
                {
                    return Endpoint.METRICS;
                }
                throw methodNotAllowed(method, "GET, HEAD");

            default:
                throw new HttpRejection(HttpResponseStatus.NOT_FOUND,
                    "no such path: " + path + " (try GET /events?topic=NAME or POST /publish)", Counter.HTTP_NOT_FOUND);
        }
    }

    private static Endpoint preflightOr(final HttpMethod method, final String allowed) throws HttpRejection
    {
        if (HttpMethod.OPTIONS.equals(method))
        {
            return Endpoint.PREFLIGHT;
        }
        throw methodNotAllowed(method, allowed);
    }

    private static HttpRejection methodNotAllowed(final HttpMethod method, final String allowed)
    {
        return new HttpRejection(HttpResponseStatus.METHOD_NOT_ALLOWED,
            method + " is not allowed on this path; use " + allowed, Counter.HTTP_METHOD_NOT_ALLOWED, allowed);
    }

    public String path()
    {
        return path;
    }

    public Map<String, List<String>> parameters()
    {
        return parameters;
    }

    public Endpoint endpoint()
    {
        return endpoint;
    }

    /**
     * @return the first value of a query parameter, or null.
     */
    public String first(final String name)
    {
        final List<String> values = parameters.get(name);
        return null == values || values.isEmpty() ? null : values.get(0);
    }
}

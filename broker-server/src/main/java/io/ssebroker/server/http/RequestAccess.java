package io.ssebroker.server.http;

import io.ssebroker.server.auth.Access;
import io.ssebroker.server.auth.AuthenticationException;
import io.ssebroker.server.auth.Authenticator;
import io.ssebroker.server.auth.RequestTokens;

import java.util.List;

/**
 * Authenticates an HTTP request, for HTTP/1.1 and HTTP/2 alike: finds its token ({@link RequestTokens}) and
 * verifies it, or answers 401.
 * <p>
 * <b>Threading:</b> stateless; called on the connection's event loop.
 */
public final class RequestAccess
{
    private RequestAccess()
    {
    }

    /**
     * @param authenticator the broker's authenticator.
     * @param target        the request target (for {@code access_token}).
     * @param authorization the {@code Authorization} header, or null.
     * @param cookies       every {@code Cookie} header.
     * @param cookieName    the token cookie's name, or null.
     * @return what the request may do ({@link Access#ALL} when authentication is off).
     * @throws HttpRejection 401 with the reason and a {@code WWW-Authenticate} challenge.
     */
    public static Access of(
        final Authenticator authenticator,
        final RequestTarget target,
        final String authorization,
        final List<? extends CharSequence> cookies,
        final String cookieName) throws HttpRejection
    {
        if (!authenticator.enabled())
        {
            return Access.ALL;
        }
        final String token = RequestTokens.find(authorization, cookies, cookieName, target.first(RequestTokens.QUERY_PARAMETER));
        try
        {
            return authenticator.authenticate(token);
        }
        catch (final AuthenticationException ex)
        {
            throw HttpRejection.unauthorized(ex.getMessage(), null != token);
        }
    }
}

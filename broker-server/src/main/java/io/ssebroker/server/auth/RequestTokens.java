package io.ssebroker.server.auth;

import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;

import java.util.List;

/**
 * Where an HTTP request's token comes from, first found wins: the {@code Authorization: Bearer} header, then the
 * cookie named by {@code jwt-cookie-name}, then the {@code access_token} query parameter (for {@code EventSource},
 * which cannot set headers). The same for HTTP/1.1 and HTTP/2.
 * <p>
 * <b>Threading:</b> stateless.
 */
public final class RequestTokens
{
    /** The query parameter a token may come in; part of the interface. */
    public static final String QUERY_PARAMETER = "access_token";

    private static final String BEARER = "bearer ";

    private RequestTokens()
    {
    }

    /**
     * @param authorization the {@code Authorization} header, or null.
     * @param cookies       every {@code Cookie} header (HTTP/2 may split them), possibly empty.
     * @param cookieName    the cookie to look for, or null for none.
     * @param queryToken    the {@code access_token} query parameter, or null.
     * @return the token, or null when the request carries none.
     */
    public static String find(
        final String authorization, final List<? extends CharSequence> cookies, final String cookieName, final String queryToken)
    {
        if (null != authorization && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length()))
        {
            final String token = authorization.substring(BEARER.length()).trim();
            if (!token.isEmpty())
            {
                return token;
            }
        }
        if (null != cookieName)
        {
            for (final CharSequence header : cookies)
            {
                for (final Cookie cookie : ServerCookieDecoder.LAX.decodeAll(header.toString()))
                {
                    if (cookieName.equals(cookie.name()) && !cookie.value().isEmpty())
                    {
                        return cookie.value();
                    }
                }
            }
        }
        return null == queryToken || queryToken.isEmpty() ? null : queryToken;
    }
}

package io.ssebroker.server.auth;

/**
 * A token that does not authenticate: none given, not a valid JWT, a bad signature, expired, not yet valid, or
 * without a usable {@code sse} claim. The message is the reason given to the client (no secret in it).
 */
public final class AuthenticationException extends Exception
{
    private static final long serialVersionUID = 1L;

    /**
     * Why the request is refused, as the {@code auth_refusals} counter's reason label.
     */
    public enum Reason
    {
        /** No token in the request. */
        MISSING,
        /** A token that failed to parse or verify. */
        INVALID,
        /** A valid signature, past {@code exp} or before {@code nbf}. */
        EXPIRED
    }

    private final Reason reason;

    /**
     * @param reason  the kind of refusal.
     * @param message the reason given to the client.
     */
    public AuthenticationException(final Reason reason, final String message)
    {
        super(message, null, false, false);
        this.reason = reason;
    }

    /**
     * @return the kind of refusal.
     */
    public Reason reason()
    {
        return reason;
    }
}

package io.ssebroker.server.auth;

/**
 * What one authenticated client may do: the topics it may subscribe to and publish to.
 * <p>
 * <b>Threading:</b> immutable.
 *
 * @param subject   the token's {@code sub}, or null (no token needed, or none given).
 * @param subscribe topics the client may subscribe to.
 * @param publish   topics the client may publish to.
 * @param expiresAtMs the token's {@code exp} in epoch milliseconds, or {@link Long#MAX_VALUE}.
 */
public record Access(String subject, TopicPatterns subscribe, TopicPatterns publish, long expiresAtMs)
{
    /** Everything allowed: authentication is off. */
    public static final Access ALL = new Access(null, TopicPatterns.ANY, TopicPatterns.ANY, Long.MAX_VALUE);
}

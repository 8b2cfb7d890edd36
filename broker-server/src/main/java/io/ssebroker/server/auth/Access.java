package io.ssebroker.server.auth;

/**
 * What one authenticated client may do: the topics it may subscribe to and publish to.
 * <p>
 * <b>Threading:</b> immutable.
 *
 * @param subscribe topics the client may subscribe to.
 * @param publish   topics the client may publish to.
 */
public record Access(TopicPatterns subscribe, TopicPatterns publish)
{
    /** Everything allowed: authentication is off. */
    public static final Access ALL = new Access(TopicPatterns.ANY, TopicPatterns.ANY);
}

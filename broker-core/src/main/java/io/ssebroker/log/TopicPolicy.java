package io.ssebroker.log;

/**
 * Retention and slow-consumer policy of one topic. Immutable.
 *
 * @param historyCount    most events retained for resume, at least 1.
 * @param historyBytes    most frame bytes retained for resume.
 * @param conflate        when true, a subscriber that falls behind retention skips forward to the
 *                        newest event of the topic (counted) instead of being evicted.
 */
public record TopicPolicy(int historyCount, long historyBytes, boolean conflate)
{
    public TopicPolicy
    {
        if (historyCount < 1 || historyCount > (1 << 24))
        {
            throw new IllegalArgumentException("history.count must be between 1 and 16777216, was " + historyCount);
        }
        if (historyBytes < 1024)
        {
            throw new IllegalArgumentException("history.bytes must be at least 1024, was " + historyBytes);
        }
    }
}

package io.ssebroker.loadgen;

/**
 * The exact delivery check of one subscriber stream ({@code --check-exact}, implied by
 * {@code --drops-per-subscriber}): over all its connections the stream must receive every sequence the schedule
 * plans for its topic, each once, nothing outside the plan, and no {@code reset} from the broker.
 * <p>
 * That expectation is exact, not "no gap noticed", because the stream's first request resumes after the run's
 * start marker (see {@link IngestPublisher#publishStartMarker}): every event of the run has a larger id than the
 * marker, so every one is owed to the stream whenever its first response comes, and nothing older is.
 * <p>
 * The verdict is known early ({@link LoopStats#SETTLED}) when the union is complete, or when a reset, a duplicate
 * or an unplanned event has failed the stream for good; the run's end may wait for every stream to settle.
 * <p>
 * <b>Threading:</b> confined to the event loop of the stream's connection.
 */
final class ExactCheck
{
    private static final byte[] RESET_EVENT_TYPE = {'r', 'e', 's', 'e', 't'};

    private final LoopStats stats;
    private final SequenceUnion union;
    private long resets;
    private boolean settled;

    /**
     * @param stats   counters of the stream's event loop.
     * @param lastSeq the topic's last planned sequence.
     */
    ExactCheck(final LoopStats stats, final long lastSeq)
    {
        this.stats = stats;
        this.union = new SequenceUnion(lastSeq);
    }

    /**
     * @param seq per-topic sequence of an event of this run.
     */
    void onEvent(final long seq)
    {
        final SequenceUnion union = this.union;
        if (union.record(seq) || 0 != union.duplicates() || 0 != union.outside())
        {
            settle();
        }
    }

    /**
     * An event that is not a load generator payload: counts when it is the broker's {@code reset}.
     */
    void onOtherEvent(final SseParser parser)
    {
        if (isReset(parser))
        {
            resets++;
            stats.increment(LoopStats.RESETS);
            settle();
        }
    }

    /**
     * Adds the verdict to the loop's counters, once, at the end of the run (cold path).
     *
     * @param subscriber     global index, for the description of a failure.
     * @param topic          topic index, likewise.
     * @param everConnected  whether the stream ever got a response.
     * @param downAfterDrop  whether it was still down after a self-drop when the run ended.
     */
    void finish(final int subscriber, final int topic, final boolean everConnected, final boolean downAfterDrop)
    {
        final LoopStats stats = this.stats;
        final SequenceUnion union = this.union;
        stats.increment(LoopStats.CHECKED);
        stats.add(LoopStats.UNION_MISSING, union.missing());
        stats.add(LoopStats.UNION_DUPLICATES, union.duplicates());
        stats.add(LoopStats.UNION_OUTSIDE, union.outside());
        if (!everConnected)
        {
            stats.increment(LoopStats.NEVER_CONNECTED);
        }
        if (everConnected && !downAfterDrop && 0 == union.missing() && 0 == union.duplicates() && 0 == union.outside() &&
            0 == resets)
        {
            return;
        }
        stats.increment(LoopStats.CHECK_FAILED);
        stats.describeFailure("subscriber " + subscriber + " (topic " + SubscribeTarget.topicName(topic) + "): " +
            "expected 1.." + union.lastSeq() + ", missing " + union.missing() +
            (0 == union.missing() ? "" : " (first " + union.firstMissing() + ")") +
            ", duplicates " + union.duplicates() + ", outside " + union.outside() + ", resets " + resets +
            (downAfterDrop ? ", not back after its last drop" : "") +
            (everConnected ? "" : ", never connected"));
    }

    private void settle()
    {
        if (!settled)
        {
            settled = true;
            stats.increment(LoopStats.SETTLED);
        }
    }

    static boolean isReset(final SseParser parser)
    {
        if (RESET_EVENT_TYPE.length != parser.eventTypeLength())
        {
            return false;
        }
        final byte[] type = parser.eventType();
        for (int i = 0; i < RESET_EVENT_TYPE.length; i++)
        {
            if (RESET_EVENT_TYPE[i] != type[i])
            {
                return false;
            }
        }
        return true;
    }
}

package io.ssebroker.loadgen;

import java.util.Arrays;

/**
 * One subscription: its SSE parser, the per-topic sequence it expects next and the periods it was connected,
 * whichever connection (HTTP/1.1 or an h2c stream) carries it.
 * <p>
 * <b>Gaps, duplicates and reordering</b> come from each event's per-topic sequence. Publishers that keep several
 * HTTP requests in flight can have their events sequenced out of order, so an event that arrives ahead of a
 * missing one is remembered (up to {@value #REORDER_WINDOW} sequences ahead) instead of counting the missing one
 * lost at once:
 * <ul>
 *   <li>a sequence that arrives after a higher one counts as <em>reordered</em> (and is delivered);</li>
 *   <li>a sequence received before counts a <em>duplicate</em> (and is not delivered again);</li>
 *   <li>a <em>gap</em> is a sequence that never arrives: counted when the stream has moved
 *       {@value #REORDER_WINDOW} sequences past it, or when it resets without resuming;</li>
 *   <li>a hole still open when the run ends, below the highest sequence received, is <em>missing at end</em>:
 *       lost, or still on its way from a server that runs later than the drain period; the two cannot be told
 *       apart, so it is not counted as a gap.</li>
 * </ul>
 * The expectation survives a reconnect when the stream resumes with {@code Last-Event-ID}, and restarts when it
 * does not.
 * <p>
 * <b>Delivery</b> counts events whose intended send time is inside the measurement window and not before the
 * current connection started; <b>expected</b> adds, at the end of each connected period, the events the schedule
 * sent to the topic inside the window during that period.
 * <p>
 * <b>Self-inflicted drops</b> (a reconnect storm): the connection closes the stream at the moments of its drop
 * plan ({@link #nextDropNs()}), after {@link #onSelfDrop}; the end that follows counts as a self-drop, not as a
 * disconnect, and the time until the next response started is its reconnect time.
 * <p>
 * <b>Exact check</b> (with {@code --check-exact}): see {@link ExactCheck}; the stream's first request then resumes
 * after the run's start marker ({@code startAfterId}).
 * <p>
 * <b>Threading:</b> confined to the event loop of its connection.
 */
final class SubscriberStream implements SseParser.EventHandler
{
    private static final int MAX_LINE_BYTES = 1024 * 1024;
    static final int REORDER_WINDOW = 4096;

    private final int subscriber;
    private final int topic;
    private final LoopStats stats;
    private final Schedule schedule;
    private final boolean resume;
    private final SseParser parser;
    private final long[] dropTimesNs;
    private final long dropDeadlineNs;
    /** {@code Last-Event-ID} of the first request, before any event was received; null for none. */
    private final String startAfterId;
    /** A {@code reset} arrived and no event of ours since. */
    private boolean afterReset;
    /** Null unless the exact check is on. */
    private final ExactCheck check;

    private int slot;
    /** Lowest per-topic sequence not received yet; 0 before the first event (no baseline). */
    private long nextSeq;
    private long highestSeq;
    /** Sequences in (nextSeq, nextSeq + REORDER_WINDOW) received early, one bit each at seq % window; lazy. */
    private long[] ahead;
    private int aheadCount;
    /** First sequence of the current expectation, and which of the window below it arrived late; lazy. */
    private long baseSeq;
    private long[] behind;
    private long connectedAtNs;
    private boolean connected;
    private boolean everConnected;
    private boolean finished;
    private int nextDrop;
    /** Time of the self-drop not yet followed by a new response; 0 when none is pending. */
    private long droppedAtNs;
    /** Set between {@link #onSelfDrop} and the end of the connection it closes. */
    private boolean dropping;

    /**
     * @param topic    topic index.
     * @param stats    counters of the stream's event loop.
     * @param schedule the publisher's plan.
     * @param resume   whether reconnects send {@code Last-Event-ID}.
     */
    SubscriberStream(final int topic, final LoopStats stats, final Schedule schedule, final boolean resume)
    {
        this(topic, topic, stats, schedule, resume, DropPolicy.NONE, null, false);
    }

    /**
     * @param subscriber   global index of the subscriber, for reports and its drop plan.
     * @param topic        topic index.
     * @param stats        counters of the stream's event loop.
     * @param schedule     the publisher's plan.
     * @param resume       whether reconnects send {@code Last-Event-ID}.
     * @param drops        when the stream drops itself.
     * @param startAfterId {@code Last-Event-ID} of the first request; null for none.
     * @param checkExact   whether to hold the stream to the exact delivery check.
     */
    SubscriberStream(
        final int subscriber,
        final int topic,
        final LoopStats stats,
        final Schedule schedule,
        final boolean resume,
        final DropPolicy drops,
        final String startAfterId,
        final boolean checkExact)
    {
        this.subscriber = subscriber;
        this.topic = topic;
        this.stats = stats;
        this.schedule = schedule;
        this.resume = resume;
        this.dropTimesNs = drops.timesFor(subscriber);
        this.dropDeadlineNs = drops.deadlineNs();
        this.startAfterId = startAfterId;
        this.check = checkExact ?
            new ExactCheck(stats, schedule.eventsForTopic(topic, schedule.originNs(), schedule.windowEndNs())) : null;
        this.parser = new SseParser(this, MAX_LINE_BYTES);
        stats.add(LoopStats.DROPS_LEFT, dropTimesNs.length);
    }

    int topic()
    {
        return topic;
    }

    SseParser parser()
    {
        return parser;
    }

    LoopStats stats()
    {
        return stats;
    }

    /**
     * @return position of the stream in its connection, for h2c.
     */
    int slot()
    {
        return slot;
    }

    void slot(final int slot)
    {
        this.slot = slot;
    }

    boolean isConnected()
    {
        return connected;
    }

    /**
     * @return the last moment a deferred drop may still be made, leaving the stream time to come back.
     */
    long dropDeadlineNs()
    {
        return dropDeadlineNs;
    }

    /**
     * @return the next planned drop ({@code System.nanoTime()}), or {@link Long#MAX_VALUE} when none is left.
     */
    long nextDropNs()
    {
        return nextDrop < dropTimesNs.length ? dropTimesNs[nextDrop] : Long.MAX_VALUE;
    }

    boolean hasDropLeft()
    {
        return nextDrop < dropTimesNs.length;
    }

    /**
     * @return true when the stream can be dropped now and resume where it was: it is connected and has the id
     *         of an event to resume after.
     */
    boolean canDrop()
    {
        return connected && !finished && !dropping && parser.lastEventIdLength() > 0;
    }

    /**
     * The connection is about to close this stream on purpose; the planned drop is used up.
     *
     * @param nowNs time of the drop.
     */
    void onSelfDrop(final long nowNs)
    {
        nextDrop++;
        dropping = true;
        droppedAtNs = nowNs;
        stats.recordDrop(nowNs - schedule.originNs());
        stats.add(LoopStats.DOWN, 1);
        stats.add(LoopStats.DROPS_LEFT, -1);
        if (nowNs - schedule.windowEndNs() >= 0)
        {
            stats.increment(LoopStats.LATE_DROPS);
        }
    }

    /**
     * A planned drop was given up: the stream was not connected, or had no event to resume after, before the
     * drop deadline.
     */
    void onDropNotMade()
    {
        nextDrop++;
        stats.increment(LoopStats.DROPS_NOT_MADE);
        stats.add(LoopStats.DROPS_LEFT, -1);
    }

    /**
     * @return the {@code Last-Event-ID} to send: on a reconnect the id of the last event received, on the first
     *         request (or before any event) the start id if there is one; null for none.
     */
    String resumeFrom()
    {
        return resume && parser.lastEventIdLength() > 0 ? parser.lastEventIdAsString() : startAfterId;
    }

    /**
     * The response started: events from now on are expected.
     *
     * @param nowNs receive time of the response headers.
     */
    void onConnected(final long nowNs)
    {
        if (finished || connected)
        {
            return;
        }
        connected = true;
        connectedAtNs = nowNs;
        stats.add(LoopStats.CONNECTED, 1);
        if (everConnected)
        {
            stats.increment(LoopStats.RECONNECTS);
        }
        everConnected = true;
        if (0 != droppedAtNs)
        {
            stats.recordBack(nowNs - droppedAtNs, nowNs - schedule.originNs());
            stats.add(LoopStats.DOWN, -1);
            droppedAtNs = 0;
        }
    }

    /**
     * The response or the connection ended.
     *
     * @param nowNs when it was noticed.
     */
    void onDisconnected(final long nowNs)
    {
        parser.reset();
        if (!connected)
        {
            return;
        }
        connected = false;
        stats.add(LoopStats.CONNECTED, -1);
        stats.add(LoopStats.EXPECTED, schedule.windowEventsForTopic(topic, connectedAtNs, nowNs));
        if (!finished && !dropping)
        {
            stats.increment(LoopStats.DISCONNECTS);
        }
        dropping = false;
        if (!resume)
        {
            closeHoles(LoopStats.GAPS);
            nextSeq = 0;
        }
    }

    /**
     * Closes the books at the end of the run; later disconnects add nothing.
     *
     * @param nowNs end of the run.
     */
    void finish(final long nowNs)
    {
        if (finished)
        {
            return;
        }
        finished = true;
        onDisconnected(nowNs);
        // Holes closed only because the run ended are reported apart from gaps.
        closeHoles(LoopStats.MISSING_AT_END);
        if (0 != droppedAtNs)
        {
            stats.increment(LoopStats.NOT_BACK);
        }
        if (null != check)
        {
            check.finish(subscriber, topic, everConnected, 0 != droppedAtNs);
        }
    }

    boolean isFinished()
    {
        return finished;
    }

    /**
     * {@inheritDoc}
     */
    public void onEvent(final SseParser parser, final long nowNs)
    {
        final LoopStats stats = this.stats;
        stats.increment(LoopStats.RECEIVED);
        final byte[] data = parser.data();
        final int length = parser.dataLength();
        final long seq = Payload.parseSeq(data, length);
        final long intendedNs = Payload.parseIntendedNs(data, length);
        if (0 != parser.eventTypeLength() || Payload.MALFORMED == seq || Payload.MALFORMED == intendedNs)
        {
            // Not ours: a broker control event such as a reset, or a foreign publisher's message.
            stats.increment(LoopStats.OTHER_EVENTS);
            final boolean reset = ExactCheck.isReset(parser);
            if (null != check)
            {
                check.onOtherEvent(parser);
            }
            else if (reset)
            {
                stats.increment(LoopStats.RESETS);
            }
            afterReset |= reset;
            return;
        }
        if (afterReset)
        {
            // What the reset announced: the sequences between the last one received and this one are gone
            // from history. They are written off at once, apart from unexplained gaps.
            afterReset = false;
            if (0 != nextSeq && seq > nextSeq)
            {
                writeOffBelow(seq, LoopStats.GAPS_AFTER_RESET);
            }
        }
        if (null != check)
        {
            check.onEvent(seq);
        }

        if (!accept(seq))
        {
            stats.increment(LoopStats.DUPLICATES);
            return;
        }

        final boolean inWindow = connected && schedule.inWindow(intendedNs) && intendedNs - connectedAtNs >= 0;
        if (inWindow)
        {
            stats.increment(LoopStats.DELIVERED);
        }
        stats.recordLatency((nowNs - intendedNs) / 1000, inWindow);
    }

    /**
     * Records a sequence as received.
     *
     * @return false when it was received before (a duplicate).
     */
    private boolean accept(final long seq)
    {
        if (0 == nextSeq)
        {
            baseSeq = seq;
            nextSeq = seq + 1;
            highestSeq = seq;
            if (null != behind)
            {
                Arrays.fill(behind, 0);
            }
            return true;
        }
        if (seq < nextSeq)
        {
            return seq < baseSeq && acceptBelowBaseline(seq);
        }
        if (seq - nextSeq >= REORDER_WINDOW)
        {
            writeOffBelow(seq - REORDER_WINDOW + 1, LoopStats.GAPS);
        }
        if (seq == nextSeq)
        {
            nextSeq++;
        }
        else
        {
            if (null == ahead)
            {
                ahead = new long[REORDER_WINDOW / Long.SIZE];
            }
            final int bit = (int)(seq & (REORDER_WINDOW - 1));
            final long mask = 1L << bit;
            if (0 != (ahead[bit >>> 6] & mask))
            {
                return false;
            }
            ahead[bit >>> 6] |= mask;
            aheadCount++;
        }
        if (seq < highestSeq)
        {
            stats.increment(LoopStats.REORDERED);
        }
        else
        {
            highestSeq = seq;
        }
        advanceOverReceived();
        return true;
    }

    /**
     * An event older than the stream's first one: published before it but sequenced after it (the
     * subscription's own start is not a gap, so nothing below the baseline is ever expected).
     */
    private boolean acceptBelowBaseline(final long seq)
    {
        final long distance = baseSeq - seq - 1;
        if (distance >= REORDER_WINDOW)
        {
            return false;
        }
        if (null == behind)
        {
            behind = new long[REORDER_WINDOW / Long.SIZE];
        }
        final int bit = (int)distance;
        final long mask = 1L << bit;
        if (0 != (behind[bit >>> 6] & mask))
        {
            return false;
        }
        behind[bit >>> 6] |= mask;
        stats.increment(LoopStats.REORDERED);
        return true;
    }

    /** Moves {@link #nextSeq} over sequences that arrived early. */
    private void advanceOverReceived()
    {
        while (aheadCount > 0 && takeAhead(nextSeq))
        {
            nextSeq++;
        }
    }

    /**
     * Stops waiting for every sequence below {@code limit} that has not arrived, counting each in
     * {@code counter} ({@link LoopStats#GAPS} or {@link LoopStats#MISSING_AT_END}).
     */
    private void writeOffBelow(final long limit, final int counter)
    {
        while (nextSeq < limit && aheadCount > 0)
        {
            if (!takeAhead(nextSeq))
            {
                stats.increment(counter);
            }
            nextSeq++;
        }
        if (nextSeq < limit)
        {
            stats.add(counter, limit - nextSeq);
            nextSeq = limit;
        }
        advanceOverReceived();
    }

    /** Writes off the holes below the highest sequence received, once nothing more will arrive on this stream. */
    private void closeHoles(final int counter)
    {
        if (0 != nextSeq && highestSeq >= nextSeq)
        {
            writeOffBelow(highestSeq + 1, counter);
        }
    }

    private boolean takeAhead(final long seq)
    {
        final int bit = (int)(seq & (REORDER_WINDOW - 1));
        final long mask = 1L << bit;
        if (0 == (ahead[bit >>> 6] & mask))
        {
            return false;
        }
        ahead[bit >>> 6] &= ~mask;
        aheadCount--;
        return true;
    }
}

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
 * <b>Threading:</b> confined to the event loop of its connection.
 */
final class SubscriberStream implements SseParser.EventHandler
{
    private static final int MAX_LINE_BYTES = 1024 * 1024;
    static final int REORDER_WINDOW = 4096;

    private final int topic;
    private final LoopStats stats;
    private final Schedule schedule;
    private final boolean resume;
    private final SseParser parser;

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

    /**
     * @param topic    topic index.
     * @param stats    counters of the stream's event loop.
     * @param schedule the publisher's plan.
     * @param resume   whether reconnects send {@code Last-Event-ID}.
     */
    SubscriberStream(final int topic, final LoopStats stats, final Schedule schedule, final boolean resume)
    {
        this.topic = topic;
        this.stats = stats;
        this.schedule = schedule;
        this.resume = resume;
        this.parser = new SseParser(this, MAX_LINE_BYTES);
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
     * @return the {@code Last-Event-ID} to send on reconnect, or null.
     */
    String resumeFrom()
    {
        return resume && parser.lastEventIdLength() > 0 ? parser.lastEventIdAsString() : null;
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
        if (!finished)
        {
            stats.increment(LoopStats.DISCONNECTS);
        }
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
        finished = true;
        onDisconnected(nowNs);
        // Holes closed only because the run ended are reported apart from gaps.
        closeHoles(LoopStats.MISSING_AT_END);
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
            return;
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

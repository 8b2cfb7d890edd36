package io.ssebroker.loadgen;

/**
 * One subscription: its SSE parser, the per-topic sequence it expects next and the periods it was connected,
 * whichever connection (HTTP/1.1 or an h2c stream) carries it.
 * <p>
 * <b>Gaps and duplicates</b> compare each event's per-topic sequence with the one expected next: a jump forward
 * counts the skipped events as gaps, a sequence already seen counts a duplicate (and is not delivered again).
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

    private final int topic;
    private final LoopStats stats;
    private final Schedule schedule;
    private final boolean resume;
    private final SseParser parser;

    private int slot;
    private long expectedSeq;
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
            expectedSeq = 0;
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

        final long expectedSeq = this.expectedSeq;
        if (0 != expectedSeq)
        {
            if (seq < expectedSeq)
            {
                stats.increment(LoopStats.DUPLICATES);
                return;
            }
            if (seq > expectedSeq)
            {
                stats.add(LoopStats.GAPS, seq - expectedSeq);
            }
        }
        this.expectedSeq = seq + 1;

        final boolean inWindow = connected && schedule.inWindow(intendedNs) && intendedNs - connectedAtNs >= 0;
        if (inWindow)
        {
            stats.increment(LoopStats.DELIVERED);
        }
        stats.recordLatency((nowNs - intendedNs) / 1000, inWindow);
    }
}

package io.ssebroker.log;

import io.netty.buffer.ByteBufAllocator;
import io.ssebroker.codec.SseFrameEncoder;
import io.ssebroker.metrics.MetricsRegistry;
import io.ssebroker.metrics.MetricsRegistry.Kind;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.status.AtomicCounter;

import java.lang.invoke.VarHandle;

/**
 * The one writer of the {@link EventLog}: encodes each event's SSE frame once into its topic's pooled slab
 * ({@link FrameSlabs}), applies retention, appends, and once per batch publishes the log and wakes the event loops
 * that hold subscribers of what the batch touched. Its inputs give it events with their ids already chosen: the
 * {@link Sequencer} (ids counted from the run's epoch, events from the ingest ring) or a cluster consumer (ids from
 * the shared stream's sequence).
 *
 * <pre>
 *   beginBatch ─► append(topic, id, event, data)… ─► publishBatch: retention, log.publish(headId)
 *              ─► (the input acknowledges its publishers) ─► finishBatch: wake loops, counters
 * </pre>
 *
 * <b>Threading:</b> one thread at a time, the input's (for the embedded broker, the sequencer thread); the
 * accessors documented "any thread" from any thread.
 */
public final class LogWriter
{
    /** Wakes the readers of the log after a batch was published. */
    public interface Listener
    {
        void onPublished();

        /**
         * A batch was published.
         *
         * @param touchedLoops the event loops (bit per loop index) holding subscribers of a topic the batch
         *                     appended to, read after the publish; other loops may apply the batch later.
         */
        default void onPublished(final long touchedLoops)
        {
            onPublished();
        }
    }

    /** Topics in the {@link #topTopics()} snapshot. */
    public static final int TOP_TOPICS = 10;
    private static final long TOP_TOPICS_INTERVAL_NS = 1_000_000_000L;

    private final EventLog log;
    private final Retention retention;
    private final FrameSlabs slabs;
    private final Listener listener;
    private final TopicRegistry topics;
    private final SseFrameEncoder encoder = new SseFrameEncoder();

    private long headId;
    private final byte[] headIdDigits = new byte[20];
    private int headIdDigitCount;
    private long appendedInBatch;
    private int trimsInBatch;
    /** Topics of the events appended in this batch (repeats included), for {@link #touchedLoops()}. */
    private int[] batchTopics;
    private int batchTopicCount;

    private long topTopicsAtNs = System.nanoTime() - TOP_TOPICS_INTERVAL_NS;
    /** Written by the writer about once a second while it works; read by any thread. */
    private volatile TopTopics topTopics = TopTopics.NONE;
    private boolean topTopicsStale;

    private long eventsAppended;
    private long batchesPublished;
    private long bytesEncoded;
    /** The fields above and the retention totals, published once per batch for other threads. */
    private final AtomicCounter eventsAppendedCounter;
    private final AtomicCounter batchesCounter;
    private final AtomicCounter bytesEncodedCounter;
    private final AtomicCounter retainedEventsCounter;
    private final AtomicCounter retainedBytesCounter;

    /**
     * @param epochId    first id of this run: ids below it are from before the run ({@code unknown-epoch}).
     * @param batchLimit most events one batch appends (it sizes a per-batch table; a larger batch grows it).
     */
    public LogWriter(
        final EventLog log,
        final TopicRegistry topics,
        final ByteBufAllocator alloc,
        final long historyBudgetBytes,
        final long epochId,
        final int batchLimit,
        final Listener listener,
        final MetricsRegistry metrics)
    {
        this.eventsAppendedCounter = metrics.counter("events_sequenced", Kind.COUNTER);
        this.batchesCounter = metrics.counter("log_batches", Kind.COUNTER);
        this.bytesEncodedCounter = metrics.counter("frame_bytes_encoded", Kind.COUNTER);
        this.retainedEventsCounter = metrics.counter("history_retained_events", Kind.GAUGE);
        this.retainedBytesCounter = metrics.counter("history_retained_bytes", Kind.GAUGE);
        this.log = log;
        this.topics = topics;
        this.retention = new Retention(topics, historyBudgetBytes, epochId);
        this.slabs = new FrameSlabs(alloc, log.readers());
        this.listener = listener;
        this.batchTopics = new int[Math.max(1, batchLimit)];
        this.headId = epochId - 1;
        this.headIdDigitCount = writeDigits(headIdDigits, epochId - 1);
    }

    /** Starts a batch; call before its first {@link #append}. */
    public void beginBatch()
    {
        slabs.onBatch();
    }

    /** @return true when the log has room for one more entry; when not, the input keeps its event for later. */
    public boolean hasCapacity()
    {
        return log.hasCapacity(1);
    }

    /** @return the id of the last event appended (the run's epoch minus one before the first). */
    public long headId()
    {
        return headId;
    }

    /**
     * Encodes one event and appends it to its topic. The caller checked {@link #hasCapacity()}.
     *
     * @param id               greater than {@link #headId()}; {@code headId() + 1} is the cheap case.
     * @param dataFieldsLength as {@link SseFrameEncoder#dataFieldsLength} gives for the data.
     * @param firstBreak       index in {@code buffer} of the data's first CR or LF, or -1 for none.
     * @param receivedNs       when the broker received the event ({@link System#nanoTime()}), or 0 when unknown.
     */
    public void append(
        final int topic,
        final long id,
        final DirectBuffer buffer,
        final int eventIndex,
        final int eventLength,
        final int dataIndex,
        final int dataLength,
        final int dataFieldsLength,
        final int firstBreak,
        final long receivedNs)
    {
        final byte[] digits = headIdDigits;
        final int digitCount = id == headId + 1 ?
            SseFrameEncoder.incrementDigits(digits, headIdDigitCount) : writeDigits(digits, id);
        headIdDigitCount = digitCount;
        headId = id;
        final int payloadLength = SseFrameEncoder.payloadLengthForDigits(digitCount, eventLength, dataFieldsLength);
        final int frameLength = SseFrameEncoder.frameLength(payloadLength);
        final FrameSlabs.Slab slab = slabs.claim(topic, frameLength);
        final int offset = slab.position;
        encoder.encode(slab.view, offset, digits, digitCount, buffer, eventIndex, eventLength, dataIndex, dataLength,
            payloadLength, firstBreak);
        FrameSlabs.commit(slab, frameLength);

        if (batchTopicCount == batchTopics.length)
        {
            batchTopics = java.util.Arrays.copyOf(batchTopics, batchTopicCount * 2);
        }
        batchTopics[batchTopicCount++] = topic;
        final long trimUpTo = retention.append(topic, id, frameLength);
        log.append(topic, id, trimUpTo, slab.buffer, offset, frameLength, payloadLength, receivedNs);
        appendedInBatch++;
        eventsAppended++;
        bytesEncoded += frameLength;
    }

    /**
     * Applies the history budget and publishes what the batch appended (and any trims) to the event loops' view of
     * the log. They are woken by {@link #finishBatch}, so an input can acknowledge its publishers in between.
     *
     * @return the trims retention made, as work done.
     */
    public int publishBatch()
    {
        final int trims = retention.enforceBudget(log);
        trimsInBatch = trims;
        if (appendedInBatch > 0 || trims > 0)
        {
            log.publish(headId);
        }
        return trims;
    }

    /**
     * Wakes the loops for what {@link #publishBatch} published and makes the counters current.
     *
     * @param worked whether the input did anything this batch; an idle batch only finishes the last snapshot.
     */
    public void finishBatch(final boolean worked)
    {
        if (appendedInBatch > 0)
        {
            appendedInBatch = 0;
            batchesPublished++;
            listener.onPublished(touchedLoops());
        }
        else if (trimsInBatch > 0)
        {
            // Trims deferred for lack of log capacity: every loop holding a reference must let go.
            listener.onPublished();
        }
        trimsInBatch = 0;
        if (worked)
        {
            publishCounters();
        }
        else if (topTopicsStale)
        {
            // Idle: the last burst's retention goes out once the interval is up, not at the next publish. Not at
            // once: at light load the writer goes idle between most batches, and each snapshot is a pass over
            // every topic.
            snapshotTopTopicsIfDue(System.nanoTime());
        }
    }

    /**
     * The loops holding subscribers of the batch's topics. Read after the publish, behind a full fence: a loop
     * marks a topic before it catches up with the log (LoopFanOut.subscribe), so either it sees this batch in
     * that catch-up or this read sees its mark.
     */
    private long touchedLoops()
    {
        VarHandle.fullFence();
        long mask = 0;
        final int[] batch = batchTopics;
        for (int i = 0, n = batchTopicCount; i < n; i++)
        {
            mask |= topics.byIndex(batch[i]).loopMask();
        }
        batchTopicCount = 0;
        return mask;
    }

    /**
     * Takes the top-topics snapshot when the interval since the last one is up: each is a pass over every topic.
     *
     * @return whether it was taken.
     */
    private boolean snapshotTopTopicsIfDue(final long nowNs)
    {
        if (nowNs - topTopicsAtNs - TOP_TOPICS_INTERVAL_NS < 0)
        {
            return false;
        }
        topTopicsAtNs = nowNs;
        topTopicsStale = false;
        topTopics = retention.topTopics(TOP_TOPICS);
        return true;
    }

    private void publishCounters()
    {
        if (!snapshotTopTopicsIfDue(System.nanoTime()))
        {
            topTopicsStale = true;
        }
        eventsAppendedCounter.setOrdered(eventsAppended);
        batchesCounter.setOrdered(batchesPublished);
        bytesEncodedCounter.setOrdered(bytesEncoded);
        retainedEventsCounter.setOrdered(retention.totalCount());
        retainedBytesCounter.setOrdered(retention.totalBytes());
    }

    private static int writeDigits(final byte[] digits, final long value)
    {
        final int count = SseFrameEncoder.decimalDigits(value);
        long v = value;
        for (int i = count - 1; i >= 0; i--)
        {
            digits[i] = (byte)('0' + (int)(v % 10));
            v /= 10;
        }
        return count;
    }

    /**
     * Gives back the slab references no event took (see {@link FrameSlabs}); frames already in the log stay valid
     * until the event loops release them. Call once, after the last batch.
     */
    public void close()
    {
        slabs.close();
    }

    /**
     * @return the {@value #TOP_TOPICS} topics retaining the most bytes, as of the last snapshot (taken at most once a
     *         second, while the writer works). Any thread.
     */
    public TopTopics topTopics()
    {
        return topTopics;
    }

    /** Events appended so far, as of the end of the last batch. Any thread. */
    public long eventsAppended()
    {
        return eventsAppendedCounter.get();
    }

    /** Frame bytes encoded so far, as of the end of the last batch. Any thread. */
    public long bytesEncoded()
    {
        return bytesEncodedCounter.get();
    }

    /** Frame bytes held in history, as of the end of the last batch. Any thread. */
    public long retainedBytes()
    {
        return retainedBytesCounter.get();
    }

    /** Events held in history, as of the end of the last batch. Any thread. */
    public long retainedEvents()
    {
        return retainedEventsCounter.get();
    }
}

package io.ssebroker.log;

import io.netty.buffer.ByteBufAllocator;
import io.ssebroker.codec.SseFrameEncoder;
import io.ssebroker.ingest.Deduplication;
import io.ssebroker.ingest.IngestRing;
import io.ssebroker.ingest.PublisherSession;
import io.ssebroker.ingest.PublisherSessions;
import io.ssebroker.ingest.SequencerAccess;
import io.ssebroker.metrics.MetricsRegistry;
import io.ssebroker.metrics.MetricsRegistry.Kind;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.status.AtomicCounter;

import java.lang.invoke.VarHandle;

import static io.ssebroker.ingest.IngestMessageDescriptor.DATA_FIELDS_LENGTH_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.EVENT_LENGTH_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.KEY_LENGTH_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.KEY_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.PUBLISHER_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.PUBLISHER_SEQUENCE_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.RECEIVED_NS_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.FIRST_BREAK_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.SEQUENCE_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.SESSION_ID_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.TOPIC_OFFSET;

/**
 * The single writer of the event log: takes publishes from the ingest ring in arrival order,
 * assigns each the next id, encodes its SSE frame once into its topic's pooled slab
 * ({@link FrameSlabs}), appends it to the {@link EventLog}, then — once per batch — publishes the
 * log, acknowledges publishers and wakes the event loops.
 *
 * <pre>
 *   IngestRing ──controlledRead──► onMessage: id = ++headId; claim slab room; encode; retention; log.append
 *                                   (ABORT when the log is full: the message stays in the ring)
 *   end of batch ─► log.publish(headId) ─► sessions: publishSequenced ─► listener.onPublished()
 * </pre>
 * A publish that names its publisher and sequence, or carries an idempotency key, is checked
 * against {@link Deduplication} first: a resend of one already taken is not appended, and its
 * publisher is answered with the id the first copy got.
 *
 *
 * <b>Threading:</b> every field is owned by the sequencer thread that runs {@link #doWork()};
 * {@link #close()} runs on it too, after the last {@code doWork()}.
 */

public final class Sequencer implements Agent
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

    private final IngestRing ingest;
    private final RingBuffer ring;
    private final EventLog log;
    private final Retention retention;
    private final PublisherSessions sessions;
    private final Deduplication dedup;
    private final FrameSlabs slabs;
    private final Listener listener;
    private final int batchLimit;
    private final TopicRegistry topics;
    private final SseFrameEncoder encoder;
    private final ControlledMessageHandler handler = this::onMessage;

    private final SequencerAccess.Touched touched = new SequencerAccess.Touched();
    private long headId;
    private final byte[] headIdDigits = new byte[20];
    private int headIdDigitCount;
    private long appendedInBatch;
    private long answeredInBatch;
    /** Topics of the events appended in this batch (repeats included), for {@link #touchedLoops()}. */
    private final int[] batchTopics;
    private int batchTopicCount;

    /** Topics in the {@link #topTopics()} snapshot. */
    public static final int TOP_TOPICS = 10;
    private static final long TOP_TOPICS_INTERVAL_NS = 1_000_000_000L;
    private long topTopicsAtNs = System.nanoTime() - TOP_TOPICS_INTERVAL_NS;
    /** Written by the sequencer thread about once a second while it works; read by any thread. */
    private volatile TopTopics topTopics = TopTopics.NONE;
    private boolean topTopicsStale;

    /** Wall clock of this batch, 0 until a publish needs it ({@link #nowMs()}). */
    private long nowMs;
    private long eventsSequenced;
    private long duplicates;
    private long bytesEncoded;
    /** The fields above and the retention totals, published once per batch for other threads. */
    private final AtomicCounter eventsSequencedCounter;
    private final AtomicCounter duplicatesCounter;
    private final AtomicCounter bytesEncodedCounter;
    private final AtomicCounter retainedEventsCounter;
    private final AtomicCounter retainedBytesCounter;

    /**
     * A sequencer with the default deduplication window (8,192 events, 2 minutes, 1,024 publishers).
     *
     * @param epochId first id of this run; the first event gets exactly this id.
     */
    public Sequencer(
        final IngestRing ingest,
        final EventLog log,
        final TopicRegistry topics,
        final PublisherSessions sessions,
        final ByteBufAllocator alloc,
        final long historyBudgetBytes,
        final long epochId,
        final int batchLimit,
        final Listener listener)
    {
        this(ingest, log, topics, sessions, new Deduplication(8192, 120_000, 1024, SystemEpochClock.INSTANCE),
            alloc, historyBudgetBytes, epochId, batchLimit, listener, new MetricsRegistry(16));
    }

    /**
     * @param epochId first id of this run; the first event gets exactly this id.
     */
    public Sequencer(
        final IngestRing ingest,
        final EventLog log,
        final TopicRegistry topics,
        final PublisherSessions sessions,
        final Deduplication dedup,
        final ByteBufAllocator alloc,
        final long historyBudgetBytes,
        final long epochId,
        final int batchLimit,
        final Listener listener,
        final MetricsRegistry metrics)
    {
        this.eventsSequencedCounter = metrics.counter("events_sequenced", Kind.COUNTER);
        this.duplicatesCounter = metrics.counter("publish_duplicates_answered", Kind.COUNTER);
        this.bytesEncodedCounter = metrics.counter("frame_bytes_encoded", Kind.COUNTER);
        this.retainedEventsCounter = metrics.counter("history_retained_events", Kind.GAUGE);
        this.retainedBytesCounter = metrics.counter("history_retained_bytes", Kind.GAUGE);
        this.ingest = ingest;
        this.dedup = dedup;
        this.ring = ingest.ring();
        this.log = log;
        this.retention = new Retention(topics, historyBudgetBytes, epochId);
        this.topics = topics;
        this.batchTopics = new int[Math.max(1, batchLimit)];
        this.sessions = sessions;
        this.slabs = new FrameSlabs(alloc, log.readers());
        this.listener = listener;
        this.batchLimit = batchLimit;
        this.headId = epochId - 1;
        final String digits = Long.toString(epochId - 1);
        for (int i = 0; i < digits.length(); i++)
        {
            headIdDigits[i] = (byte)digits.charAt(i);
        }
        this.headIdDigitCount = digits.length();
        this.encoder = new SseFrameEncoder();
    }

    @Override
    public String roleName()
    {
        return "sequencer";
    }

    @Override
    public int doWork()
    {
        slabs.onBatch();
        nowMs = 0;
        final int read = ring.controlledRead(handler, batchLimit);
        int work = read;
        if (appendedInBatch > 0)
        {
            work += retention.enforceBudget(log);
            log.publish(headId);
            appendedInBatch = 0;
            answeredInBatch = 0;
            SequencerAccess.publishTouched(touched);
            listener.onPublished(touchedLoops());
        }
        else if (answeredInBatch > 0)
        {
            // Only duplicates: nothing new in the log, but their publishers wait for answers.
            answeredInBatch = 0;
            SequencerAccess.publishTouched(touched);
        }
        else
        {
            // Trims deferred for lack of log capacity still need to go out.
            final int trims = retention.enforceBudget(log);
            if (trims > 0)
            {
                log.publish(headId);
                listener.onPublished();
                work += trims;
            }
        }
        if (work > 0)
        {
            publishCounters();
        }
        else if (topTopicsStale)
        {
            // Going idle: the last burst's retention goes out now, not at the next publish.
            snapshotTopTopics(System.nanoTime());
        }
        return work;
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

    private void snapshotTopTopics(final long nowNs)
    {
        topTopicsAtNs = nowNs;
        topTopicsStale = false;
        topTopics = retention.topTopics(TOP_TOPICS);
    }

    private void publishCounters()
    {
        final long nowNs = System.nanoTime();
        if (nowNs - topTopicsAtNs - TOP_TOPICS_INTERVAL_NS >= 0)
        {
            snapshotTopTopics(nowNs);
        }
        else
        {
            topTopicsStale = true;
        }
        eventsSequencedCounter.setOrdered(eventsSequenced);
        duplicatesCounter.setOrdered(duplicates);
        bytesEncodedCounter.setOrdered(bytesEncoded);
        retainedEventsCounter.setOrdered(retention.totalCount());
        retainedBytesCounter.setOrdered(retention.totalBytes());
    }

    private ControlledMessageHandler.Action onMessage(
        final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        if (!log.hasCapacity(1))
        {
            return ControlledMessageHandler.Action.ABORT;
        }
        final int sessionId = buffer.getInt(index + SESSION_ID_OFFSET);
        final int topic = buffer.getInt(index + TOPIC_OFFSET);
        final long sequence = buffer.getLong(index + SEQUENCE_OFFSET);
        final int eventLength = buffer.getShort(index + EVENT_LENGTH_OFFSET);
        final int keyLength = buffer.getShort(index + KEY_LENGTH_OFFSET);
        final int eventIndex = index + KEY_OFFSET + keyLength;
        final int dataIndex = eventIndex + eventLength;
        final int dataLength = length - KEY_OFFSET - keyLength - eventLength;

        final int publisherRef = buffer.getInt(index + PUBLISHER_OFFSET);
        Deduplication.PublisherRecord publisher = null;
        long publisherSequence = 0;
        String key = null;
        if (Deduplication.NO_PUBLISHER != publisherRef)
        {
            publisherSequence = buffer.getLong(index + PUBLISHER_SEQUENCE_OFFSET);
            publisher = dedup.record(publisherRef);
            if (null != publisher && publisherSequence <= publisher.highestSequence())
            {
                return answerDuplicate(sessionId, sequence, publisher.idOf(publisherSequence, nowMs()));
            }
        }
        else if (keyLength > 0)
        {
            key = Deduplication.scopedKey(topic, buffer, index + KEY_OFFSET, keyLength);
            final long original = dedup.keyedId(key, nowMs());
            if (Deduplication.ID_UNKNOWN != original)
            {
                return answerDuplicate(sessionId, sequence, original);
            }
        }

        final long id = ++headId;
        final byte[] digits = headIdDigits;
        final int digitCount = SseFrameEncoder.incrementDigits(digits, headIdDigitCount);
        headIdDigitCount = digitCount;
        // The producer scanned the data for line breaks (IngestMessageDescriptor); no pass over it here.
        final int firstBreakOffset = buffer.getInt(index + FIRST_BREAK_OFFSET);
        final int firstBreak = firstBreakOffset < 0 ? -1 : dataIndex + firstBreakOffset;
        final int payloadLength = SseFrameEncoder.payloadLengthForDigits(
            digitCount, eventLength, buffer.getInt(index + DATA_FIELDS_LENGTH_OFFSET));
        final int frameLength = SseFrameEncoder.frameLength(payloadLength);
        final FrameSlabs.Slab slab = slabs.claim(topic, frameLength);
        final int offset = slab.position;
        encoder.encode(slab.view, offset, digits, digitCount, buffer, eventIndex, eventLength, dataIndex, dataLength,
            payloadLength, firstBreak);
        FrameSlabs.commit(slab, frameLength);

        batchTopics[batchTopicCount++] = topic;
        final long trimUpTo = retention.append(topic, id, frameLength);
        log.append(topic, id, trimUpTo, slab.buffer, offset, frameLength, payloadLength,
            buffer.getLong(index + RECEIVED_NS_OFFSET));
        appendedInBatch++;
        eventsSequenced++;
        bytesEncoded += frameLength;

        if (null != publisher)
        {
            publisher.taken(publisherSequence, id, nowMs());
        }
        else if (null != key)
        {
            dedup.keyTaken(key, id, nowMs());
        }
        SequencerAccess.assign(sessions, touched, sessionId, sequence, id);
        return ControlledMessageHandler.Action.CONTINUE;
    }

    /**
     * The wall clock, read once per batch and only by batches with a publisher id or a key in them.
     */
    private long nowMs()
    {
        if (0 == nowMs)
        {
            nowMs = dedup.nowMs();
        }
        return nowMs;
    }

    private ControlledMessageHandler.Action answerDuplicate(final int sessionId, final long sequence, final long originalId)
    {
        duplicates++;
        answeredInBatch++;
        SequencerAccess.assign(sessions, touched, sessionId, sequence,
            Deduplication.ID_UNKNOWN == originalId ? PublisherSession.TAKEN_EARLIER : originalId);
        return ControlledMessageHandler.Action.CONTINUE;
    }

    /**
     * Drains the ingest ring completely; used on shutdown after producers have stopped.
     */
    public void drain()
    {
        doWork();
        // Bounded: with every event loop stopped the log can fill, and then the ring never empties.
        for (int attempts = 0; ingest.hasMessages() && attempts < 1_000_000; attempts++)
        {
            doWork();
        }
    }

    /**
     * Gives back the slab references no event took (see {@link FrameSlabs}); frames already in the
     * log stay valid until the event loops release them. Call once, after the last {@link #doWork()}.
     */
    public void close()
    {
        slabs.close();
    }

    /**
     * @return the {@value #TOP_TOPICS} topics retaining the most bytes, as of the sequencer's last snapshot
     *         (taken at most once a second, while it works). Any thread.
     */
    public TopTopics topTopics()
    {
        return topTopics;
    }

    /** Events sequenced so far, as of the end of the last batch. Any thread. */
    public long eventsSequenced()
    {
        return eventsSequencedCounter.get();
    }

    /** Resends answered without being appended again, as of the end of the last batch. Any thread. */
    public long duplicates()
    {
        return duplicatesCounter.get();
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

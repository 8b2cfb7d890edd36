package io.ssebroker.log;

import io.netty.buffer.ByteBufAllocator;
import io.ssebroker.ingest.Deduplication;
import io.ssebroker.ingest.IngestRing;
import io.ssebroker.ingest.PublisherSession;
import io.ssebroker.ingest.PublisherSessions;
import io.ssebroker.ingest.SequencerAccess;
import io.ssebroker.metrics.MetricsRegistry;
import io.ssebroker.metrics.MetricsRegistry.Kind;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.status.AtomicCounter;


import io.ssebroker.ingest.IngestMessageDescriptor;
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
 * The embedded broker's input to the log: takes publishes from the ingest ring in arrival order, gives each the next
 * id of this run, hands it to the {@link LogWriter} (which encodes it once and appends it), then, once per batch,
 * acknowledges publishers between the log's publish and the event loops' wake-up.
 *
 * <pre>
 *   IngestRing ──controlledRead──► onMessage: id = headId + 1; writer.append
 *                                   (ABORT when the log is full: the message stays in the ring)
 *   end of batch ─► writer.publishBatch ─► sessions: publishSequenced ─► writer.finishBatch (wake loops)
 * </pre>
 * A publish that names its publisher and sequence, or carries an idempotency key, is checked
 * against {@link Deduplication} first: a resend of one already taken is not appended, and its
 * publisher is answered with the id the first copy got.
 *
 *
 * <b>Threading:</b> every field is owned by the sequencer thread that runs {@link #doWork()};
 * {@link #close()} runs on it too, after the last {@code doWork()}.
 */

public final class Sequencer implements LogInput
{
    /** Wakes the readers of the log after a batch was published. */
    public interface Listener extends LogWriter.Listener
    {
    }

    private final IngestRing ingest;
    private final RingBuffer ring;
    private final LogWriter writer;
    private final PublisherSessions sessions;
    private final Deduplication dedup;
    private final int batchLimit;
    private final ControlledMessageHandler handler = this::onMessage;

    private final SequencerAccess.Touched touched = new SequencerAccess.Touched();

    /** Wall clock of this batch, 0 until a publish needs it ({@link #nowMs()}). */
    private long nowMs;
    private long duplicates;
    /** The field above, published once per batch for other threads. */
    private final AtomicCounter duplicatesCounter;

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
        this(ingest, new LogWriter(log, topics, alloc, historyBudgetBytes, epochId, batchLimit, listener, metrics),
            sessions, dedup, batchLimit, metrics);
    }

    /**
     * A sequencer feeding {@code writer}, which no other input may write while this one runs.
     */
    public Sequencer(
        final IngestRing ingest,
        final LogWriter writer,
        final PublisherSessions sessions,
        final Deduplication dedup,
        final int batchLimit,
        final MetricsRegistry metrics)
    {
        this.duplicatesCounter = metrics.counter("publish_duplicates_answered", Kind.COUNTER);
        this.ingest = ingest;
        this.dedup = dedup;
        this.ring = ingest.ring();
        this.writer = writer;
        this.sessions = sessions;
        this.batchLimit = batchLimit;
    }

    @Override
    public String roleName()
    {
        return "sequencer";
    }

    @Override
    public int doWork()
    {
        writer.beginBatch();
        nowMs = 0;
        int work = ring.controlledRead(handler, batchLimit);
        work += writer.publishBatch();
        // Acknowledgements (new ids and answered duplicates) go out before the loops are woken.
        SequencerAccess.publishTouched(touched);
        writer.finishBatch(work > 0);
        if (work > 0)
        {
            duplicatesCounter.setOrdered(duplicates);
        }
        return work;
    }

    private ControlledMessageHandler.Action onMessage(
        final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        if (!writer.hasCapacity())
        {
            return ControlledMessageHandler.Action.ABORT;
        }
        final int sessionId = buffer.getInt(index + SESSION_ID_OFFSET);
        final int topic = buffer.getInt(index + TOPIC_OFFSET);
        final long sequence = buffer.getLong(index + SEQUENCE_OFFSET);
        final int eventLength = buffer.getShort(index + EVENT_LENGTH_OFFSET);
        final int keyLength = buffer.getShort(index + KEY_LENGTH_OFFSET);
        final int eventIndex = IngestMessageDescriptor.eventIndex(buffer, index);
        final int dataIndex = IngestMessageDescriptor.dataIndex(buffer, index);
        final int dataLength = IngestMessageDescriptor.dataLength(buffer, index, length);

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

        final long id = writer.headId() + 1;
        // The producer scanned the data for line breaks (IngestMessageDescriptor); no pass over it here.
        final int firstBreakOffset = buffer.getInt(index + FIRST_BREAK_OFFSET);
        writer.append(topic, id, buffer, eventIndex, eventLength, dataIndex, dataLength,
            buffer.getInt(index + DATA_FIELDS_LENGTH_OFFSET), firstBreakOffset < 0 ? -1 : dataIndex + firstBreakOffset,
            buffer.getLong(index + RECEIVED_NS_OFFSET));

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
        SequencerAccess.assign(sessions, touched, sessionId, sequence,
            Deduplication.ID_UNKNOWN == originalId ? PublisherSession.TAKEN_EARLIER : originalId);
        return ControlledMessageHandler.Action.CONTINUE;
    }

    /**
     * Drains the ingest ring completely; used on shutdown after producers have stopped.
     */
    @Override
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
     * Closes the log writer this sequencer feeds ({@link LogWriter#close()}). Call once, after the last
     * {@link #doWork()}.
     */
    @Override
    public void close()
    {
        writer.close();
    }

    /** The log writer this sequencer feeds. */
    public LogWriter writer()
    {
        return writer;
    }

    /** Resends answered without being appended again, as of the end of the last batch. Any thread. */
    public long duplicates()
    {
        return duplicatesCounter.get();
    }
}

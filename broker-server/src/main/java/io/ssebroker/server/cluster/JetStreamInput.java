package io.ssebroker.server.cluster;

import io.nats.client.JetStream;
import io.nats.client.Message;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import io.nats.client.support.NatsJetStreamConstants;
import io.ssebroker.codec.SseFrameEncoder;
import io.ssebroker.ingest.Deduplication;
import io.ssebroker.ingest.IngestRing;
import io.ssebroker.ingest.PublisherSession;
import io.ssebroker.ingest.PublisherSessions;
import io.ssebroker.ingest.SequencerAccess;
import io.ssebroker.log.LogInput;
import io.ssebroker.log.LogWriter;
import io.ssebroker.log.Topic;
import io.ssebroker.log.TopicRegistry;
import io.ssebroker.metrics.MetricsRegistry;
import io.ssebroker.metrics.MetricsRegistry.Kind;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.ssebroker.ingest.IngestMessageDescriptor;
import static io.ssebroker.ingest.IngestMessageDescriptor.EVENT_LENGTH_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.KEY_LENGTH_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.KEY_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.PUBLISHER_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.PUBLISHER_SEQUENCE_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.SEQUENCE_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.SESSION_ID_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.TOPIC_OFFSET;

/**
 * A cluster node's input to its log, on the engine's input thread. Two flows, neither waiting on the other:
 *
 * <pre>
 *   IngestRing ──► publishAsync(NAME.topic, Nats-Msg-Id) ──► pending (FIFO) ──► PubAck: ack the publisher
 *                                                                             with id = epochBase + stream seq
 *   ordered consumer (NATS dispatcher thread) ──► inbox ──► LogWriter.append(topic, epochBase + stream seq, …)
 * </pre>
 *
 * A publisher is acknowledged only once JetStream has stored its event, so on a cluster <i>acknowledged</i> means
 * <i>durable in the stream</i>; the event reaches this node's subscribers, like every other node's, through the
 * consumer. Every publish carries a {@code Nats-Msg-Id} (the publisher id and sequence, the idempotency key, or this
 * node's own name and counter), so a resend after a timeout or a failover is stored once and its ack names the
 * original sequence. A publish JetStream does not acknowledge is resent, in its place at the head of the FIFO, until
 * {@code nats-publish-timeout-ms}; behind it publishers are back-pressured (the FIFO is bounded, the ring fills, the
 * loops stop reading); after it, the publisher is told {@code UNAVAILABLE}, never silently dropped.
 * <p>
 * <b>Threading:</b> the input thread, except {@link #onConsumed} (NATS dispatcher threads, serialised on this)
 * and the accessors documented "any thread".
 */
public final class JetStreamInput implements LogInput
{
    private static final Logger LOG = LoggerFactory.getLogger(JetStreamInput.class);

    /** Header carrying the SSE event name; absent for the default event. */
    public static final String EVENT_HEADER = "Sse-Event";
    /** Shortest wait before a publish JetStream failed to acknowledge is sent again. */
    private static final long RESEND_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(250);
    /** Longest park while acks are awaited: their futures complete on NATS threads, which do not wake this one. */
    private static final long ACK_POLL_NS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int INBOX_CAPACITY = 1 << 16;
    private static final int NO_TOPIC = -1;

    private final IngestRing ingest;
    private final RingBuffer ring;
    private final LogWriter writer;
    private final TopicRegistry topics;
    private final PublisherSessions sessions;
    private final Deduplication dedup;
    private final JetStream jetStream;
    private final String streamName;
    private final String subjectPrefix;
    private final String nodeName;
    private final long epochBase;
    private final long historyFloorId;
    private final int batchLimit;
    private final int maxPending;
    private final long publishTimeoutNs;
    private final ControlledMessageHandler handler = this::onRingMessage;
    private final SequencerAccess.Touched touched = new SequencerAccess.Touched();
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final ManyToOneConcurrentArrayQueue<Message> inbox = new ManyToOneConcurrentArrayQueue<>(INBOX_CAPACITY);
    private final ExpandableArrayBuffer scratch = new ExpandableArrayBuffer(4096);
    /** Topic index per stream subject, {@link #NO_TOPIC} for one skipped: the consumer's side of {@link #subjects}. */
    private final java.util.HashMap<String, Integer> topicsBySubject = new java.util.HashMap<>();
    /** Stream subject per topic index, built once per topic. */
    private String[] subjects = new String[64];

    private long localMessageIds;
    private long lastAppliedSequence;
    /** The last stream sequence the consumer handed over; guarded by this. */
    private long lastEnqueuedSequence;
    /** Written by the input thread; read by any thread. */
    private volatile long appliedSequence;
    /** Highest stream sequence known to exist: from acks here and the consumer's view. Any thread. */
    private volatile long knownSequence;
    private volatile boolean closed;
    /** {@code pending.size()}, for other threads. */
    private volatile int pendingCount;

    private final AtomicCounter publishedCounter;
    private final AtomicCounter duplicateAcksCounter;
    private final AtomicCounter resendsCounter;
    private final AtomicCounter unavailableCounter;
    private final AtomicCounter consumedCounter;
    private final AtomicCounter skippedCounter;
    private long published;
    private long duplicateAcks;
    private long resends;
    private long unavailable;
    private long consumed;
    private long skipped;

    /**
     * @param epochBase     an event's id is {@code epochBase} plus its stream sequence.
     * @param startSequence the first stream sequence this node consumes; it holds nothing older.
     */
    JetStreamInput(
        final IngestRing ingest,
        final LogWriter writer,
        final TopicRegistry topics,
        final PublisherSessions sessions,
        final Deduplication dedup,
        final MetricsRegistry metrics,
        final JetStream jetStream,
        final String streamName,
        final String nodeName,
        final long epochBase,
        final long startSequence,
        final long knownSequence,
        final int batchLimit,
        final int maxPending,
        final long publishTimeoutMs)
    {
        this.ingest = ingest;
        this.ring = ingest.ring();
        this.writer = writer;
        this.topics = topics;
        this.sessions = sessions;
        this.dedup = dedup;
        this.jetStream = jetStream;
        this.streamName = streamName;
        this.subjectPrefix = streamName + ".";
        this.nodeName = nodeName;
        this.epochBase = epochBase;
        this.historyFloorId = epochBase + startSequence - 1;
        this.lastAppliedSequence = startSequence - 1;
        this.lastEnqueuedSequence = startSequence - 1;
        this.appliedSequence = startSequence - 1;
        this.knownSequence = knownSequence;
        this.batchLimit = batchLimit;
        this.maxPending = maxPending;
        this.publishTimeoutNs = TimeUnit.MILLISECONDS.toNanos(publishTimeoutMs);
        this.publishedCounter = metrics.counter("cluster_publishes_acked", Kind.COUNTER);
        this.duplicateAcksCounter = metrics.counter("cluster_publishes_duplicate", Kind.COUNTER);
        this.resendsCounter = metrics.counter("cluster_publishes_resent", Kind.COUNTER);
        this.unavailableCounter = metrics.counter("cluster_publishes_unavailable", Kind.COUNTER);
        this.consumedCounter = metrics.counter("cluster_events_consumed", Kind.COUNTER);
        this.skippedCounter = metrics.counter("cluster_events_skipped", Kind.COUNTER);
        metrics.gauge("cluster_publishes_pending", () -> pendingCount);
        metrics.gauge("cluster_consumer_behind_events", () -> Math.max(0, this.knownSequence - appliedSequence));
    }

    @Override
    public String roleName()
    {
        return "jetstream-input";
    }

    @Override
    public int doWork()
    {
        writer.beginBatch();
        final long nowNs = System.nanoTime();
        int work = applyConsumed();
        work += answerAcks(nowNs);
        if (pending.size() < maxPending)
        {
            work += ring.controlledRead(handler, Math.min(batchLimit, maxPending - pending.size()));
        }
        work += writer.publishBatch();
        SequencerAccess.publishTouched(touched);
        writer.finishBatch(work > 0);
        pendingCount = pending.size();
        if (work > 0)
        {
            publishCounters();
        }
        return work;
    }

    private int applyConsumed()
    {
        int applied = 0;
        Message message;
        while (applied < batchLimit && writer.hasCapacity() && null != (message = inbox.poll()))
        {
            apply(message);
            applied++;
        }
        if (applied > 0)
        {
            appliedSequence = lastAppliedSequence;
        }
        return applied;
    }

    private void apply(final Message message)
    {
        // In stream order, each sequence once: onConsumed drops repeats before the inbox.
        final long sequence = message.metaData().streamSequence();
        lastAppliedSequence = sequence;
        consumed++;
        final int topic = topicOf(message.getSubject());
        if (NO_TOPIC == topic)
        {
            skipped++;
            return;
        }
        final Headers headers = message.getHeaders();
        final String event = null == headers ? null : headers.getFirst(EVENT_HEADER);
        final byte[] data = message.getData();
        final ExpandableArrayBuffer buffer = scratch;
        int eventLength = 0;
        if (null != event && !event.isEmpty())
        {
            eventLength = buffer.putStringWithoutLengthUtf8(0, event);
        }
        final int dataLength = null == data ? 0 : data.length;
        if (dataLength > 0)
        {
            buffer.putBytes(eventLength, data);
        }
        final int firstBreak = SseFrameEncoder.indexOfLineBreak(buffer, eventLength, dataLength);
        final long id = epochBase + sequence;
        writer.append(topic, id, buffer, 0, eventLength, eventLength, dataLength,
            SseFrameEncoder.dataFieldsLength(buffer, eventLength, dataLength, firstBreak), firstBreak, System.nanoTime());
        if (null != headers)
        {
            learnPublisher(headers.getFirst(NatsJetStreamConstants.MSG_ID_HDR), id);
        }
    }

    /**
     * @return the topic index a subject stands for, or {@link #NO_TOPIC}: over max-topics here (other nodes may allow
     *         more), or not a subject of this stream. One map lookup per event once a subject has been seen, and one
     *         warning per subject skipped.
     */
    private int topicOf(final String subject)
    {
        final Integer known = topicsBySubject.get(subject);
        if (null != known)
        {
            return known;
        }
        final Topic topic = subject.startsWith(subjectPrefix) ?
            topics.lookupOrCreate(subject.substring(subjectPrefix.length())) : null;
        if (null == topic)
        {
            LOG.warn("stream subject {} skipped: no topic for it on this node (max-topics, or not {}*); counted in " +
                "sse_cluster_events_skipped_total", subject, subjectPrefix);
        }
        final int index = null == topic ? NO_TOPIC : topic.index();
        topicsBySubject.put(subject, index);
        return index;
    }

    /**
     * Every node learns each publisher's sequences from the stream, whichever node took them, so a publisher that
     * restarts against any node is told in {@code WELCOME} where the cluster is, and never reuses a number (which
     * JetStream would answer as a duplicate of an older event).
     */
    private void learnPublisher(final String messageId, final long id)
    {
        if (null == messageId || !messageId.startsWith("p:"))
        {
            return;
        }
        final int colon = messageId.lastIndexOf(':');
        final long publisherSequence;
        try
        {
            publisherSequence = Long.parseLong(messageId, colon + 1, messageId.length(), 10);
        }
        catch (final NumberFormatException ex)
        {
            return;
        }
        final Deduplication.PublisherRecord record = dedup.attach(messageId.substring(2, colon));
        if (null != record)
        {
            dedup.detach(record);
            if (publisherSequence > record.highestSequence())
            {
                record.taken(publisherSequence, id, dedup.nowMs());
            }
        }
    }

    private int answerAcks(final long nowNs)
    {
        int answered = 0;
        long nowMs = 0; // read once, when the first publisher-numbered ack needs it
        Pending head;
        while (null != (head = pending.peekFirst()) && head.future.isDone())
        {
            final PublishAck ack = head.ackOrNull();
            if (null == ack)
            {
                if (nowNs - head.firstSentNs - publishTimeoutNs >= 0)
                {
                    pending.pollFirst();
                    unavailable++;
                    SequencerAccess.assign(sessions, touched, head.sessionId, head.sessionSequence,
                        PublisherSession.UNAVAILABLE);
                    answered++;
                    continue;
                }
                if (nowNs - head.lastSentNs - RESEND_INTERVAL_NS >= 0)
                {
                    resends++;
                    head.send(jetStream, nowNs);
                }
                break; // the head waits; everything behind it waits with it, in order
            }
            pending.pollFirst();
            final long sequence = ack.getSeqno();
            if (ack.isDuplicate())
            {
                duplicateAcks++;
            }
            else
            {
                published++;
            }
            if (sequence > knownSequence)
            {
                knownSequence = sequence;
            }
            final long id = epochBase + sequence;
            if (null != head.publisher && head.publisherSequence > head.publisher.highestSequence())
            {
                nowMs = 0 == nowMs ? dedup.nowMs() : nowMs;
                head.publisher.taken(head.publisherSequence, id, nowMs);
            }
            SequencerAccess.assign(sessions, touched, head.sessionId, head.sessionSequence, id);
            answered++;
        }
        return answered;
    }

    private ControlledMessageHandler.Action onRingMessage(
        final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final int sessionId = buffer.getInt(index + SESSION_ID_OFFSET);
        final int topic = buffer.getInt(index + TOPIC_OFFSET);
        final long sessionSequence = buffer.getLong(index + SEQUENCE_OFFSET);
        final int eventLength = buffer.getShort(index + EVENT_LENGTH_OFFSET);
        final int keyLength = buffer.getShort(index + KEY_LENGTH_OFFSET);
        final int eventIndex = IngestMessageDescriptor.eventIndex(buffer, index);
        final int dataIndex = IngestMessageDescriptor.dataIndex(buffer, index);
        final int dataLength = IngestMessageDescriptor.dataLength(buffer, index, length);
        final String subject = subject(topic);

        final int publisherRef = buffer.getInt(index + PUBLISHER_OFFSET);
        Deduplication.PublisherRecord publisher = null;
        long publisherSequence = 0;
        final String messageId;
        if (Deduplication.NO_PUBLISHER != publisherRef &&
            null != (publisher = dedup.record(publisherRef)))
        {
            publisherSequence = buffer.getLong(index + PUBLISHER_SEQUENCE_OFFSET);
            messageId = "p:" + publisher.publisherId() + ":" + publisherSequence;
        }
        else if (keyLength > 0)
        {
            messageId = "k:" + subject + ":" + buffer.getStringWithoutLengthUtf8(index + KEY_OFFSET, keyLength);
        }
        else
        {
            // No identity from the publisher: still one for JetStream, so this node's own resends are stored once.
            messageId = "n:" + nodeName + ":" + (++localMessageIds);
        }
        final Headers headers = new Headers();
        headers.put(NatsJetStreamConstants.MSG_ID_HDR, messageId);
        headers.put(NatsJetStreamConstants.EXPECTED_STREAM_HDR, streamName);
        if (eventLength > 0)
        {
            headers.put(EVENT_HEADER, buffer.getStringWithoutLengthUtf8(eventIndex, eventLength));
        }
        final byte[] data = new byte[dataLength];
        buffer.getBytes(dataIndex, data);
        final Pending entry = new Pending(
            sessionId,
            sessionSequence,
            publisher,
            publisherSequence,
            NatsMessage.builder().subject(subject).headers(headers).data(data).build());
        entry.firstSentNs = System.nanoTime();
        entry.send(jetStream, entry.firstSentNs);
        pending.addLast(entry);
        return ControlledMessageHandler.Action.CONTINUE;
    }

    private String subject(final int topic)
    {
        if (topic >= subjects.length)
        {
            subjects = java.util.Arrays.copyOf(subjects, Math.max(topic + 1, subjects.length * 2));
        }
        String subject = subjects[topic];
        if (null == subject)
        {
            subject = subjectPrefix + topics.byIndex(topic).name();
            subjects[topic] = subject;
        }
        return subject;
    }

    private void publishCounters()
    {
        publishedCounter.setOrdered(published);
        duplicateAcksCounter.setOrdered(duplicateAcks);
        resendsCounter.setOrdered(resends);
        unavailableCounter.setOrdered(unavailable);
        consumedCounter.setOrdered(consumed);
        skippedCounter.setOrdered(skipped);
    }

    /**
     * The consumer's handler, on the NATS dispatcher thread: hands the message to the input thread in stream order.
     * When the inbox is full (the log writer is behind) it waits here, which holds back the ordered consumer's flow
     * control instead of dropping.
     */
    synchronized void onConsumed(final Message message)
    {
        final long sequence = message.metaData().streamSequence();
        if (sequence <= lastEnqueuedSequence)
        {
            return; // a consumer restarted after a reconnect repeats what the one before it delivered
        }
        lastEnqueuedSequence = sequence;
        if (sequence > knownSequence)
        {
            knownSequence = sequence;
        }
        while (!inbox.offer(message))
        {
            if (closed)
            {
                return;
            }
            LockSupport.parkNanos(50_000);
        }
        ingest.signalConsumer();
    }

    @Override
    public boolean hasPendingInput()
    {
        final Pending head = pending.peekFirst();
        return !inbox.isEmpty() || (null != head && head.future.isDone());
    }

    @Override
    public long maxParkNs(final long parkNs)
    {
        return pending.isEmpty() ? parkNs : Math.min(parkNs, ACK_POLL_NS);
    }

    @Override
    public boolean isSettled()
    {
        return 0 == pendingCount;
    }

    @Override
    public long historyFloorId()
    {
        return historyFloorId;
    }

    @Override
    public long knownHeadId()
    {
        return epochBase + knownSequence;
    }

    /** @return the stream sequence a restarted consumer starts at: the one after the last handed to this input. */
    synchronized long nextSequenceToConsume()
    {
        return lastEnqueuedSequence + 1;
    }

    /** @return true when every consumed message has gone to the log writer. Any thread. */
    boolean inboxEmpty()
    {
        return inbox.isEmpty();
    }

    /** @return the last stream sequence applied to this node's log. Any thread. */
    public long appliedSequence()
    {
        return appliedSequence;
    }

    @Override
    public void drain()
    {
        // Shutdown: take what publishers handed over and wait, bounded, for JetStream's answers to reach them.
        final long deadlineNs = System.nanoTime() + publishTimeoutNs;
        do
        {
            doWork();
            if (!pending.isEmpty())
            {
                LockSupport.parkNanos(ACK_POLL_NS);
            }
        }
        while ((ingest.hasMessages() || !pending.isEmpty()) && System.nanoTime() - deadlineNs < 0);
    }

    @Override
    public void close()
    {
        closed = true;
        writer.close();
    }

    /** One publish awaiting JetStream's ack. */
    private static final class Pending
    {
        final int sessionId;
        final long sessionSequence;
        final Deduplication.PublisherRecord publisher;
        final long publisherSequence;
        final NatsMessage message;
        CompletableFuture<PublishAck> future;
        long firstSentNs;
        long lastSentNs;

        Pending(
            final int sessionId,
            final long sessionSequence,
            final Deduplication.PublisherRecord publisher,
            final long publisherSequence,
            final NatsMessage message)
        {
            this.sessionId = sessionId;
            this.sessionSequence = sessionSequence;
            this.publisher = publisher;
            this.publisherSequence = publisherSequence;
            this.message = message;
        }

        void send(final JetStream jetStream, final long nowNs)
        {
            lastSentNs = nowNs;
            try
            {
                future = jetStream.publishAsync(message);
            }
            catch (final RuntimeException ex)
            {
                // Not connected and the reconnect buffer full, or similar: retried like a failed ack.
                future = CompletableFuture.failedFuture(ex);
            }
        }

        PublishAck ackOrNull()
        {
            try
            {
                return future.getNow(null);
            }
            catch (final RuntimeException ex)
            {
                return null;
            }
        }
    }
}

package io.ssebroker.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.ssebroker.ingest.Deduplication;
import io.ssebroker.ingest.IngestRing;
import io.ssebroker.ingest.PublisherSession;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.edge.PublishBackend;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The publishes of one HTTP connection on their way into the ingest ring, answered in the order
 * they were taken: an HTTP/1.1 connection's pipelined {@code POST /publish} requests, or an HTTP/2
 * connection's concurrent publish streams.
 *
 * <pre>
 *   submit ──► [ waiting | waiting | offered | offered | rejected | offered ] ──► answers, in order
 *                 ^ numbered and offered while the session's in-flight window has room
 * </pre>
 *
 * <h2>Back pressure</h2>
 * Up to {@link #MAX_IN_FLIGHT} publishes are in the ring or the sequencer at once; the rest wait
 * here, and the connection stops reading while {@link #isBacklogged()}. When the ring is full the
 * offer is retried every millisecond; a publish that has not reached the ring within
 * {@code http.requestTimeoutMs} is answered 503 and never sequenced.
 *
 * <h2>Reference counting</h2>
 * {@link #submit} takes ownership of the message; it is released once the ring has copied it, or
 * when the publish is rejected or the queue closed.
 * <p>
 * <b>Threading:</b> confined to the connection's event loop; the sequencer's acknowledgements
 * arrive there through {@link PublisherSession.Listener}.
 */
public final class PublishQueue implements PublisherSession.Listener
{
    /** Publishes of one connection in the ring or the sequencer at once; a power of two. */
    public static final int MAX_IN_FLIGHT = 64;

    /** Publishes waiting for the window beyond which the connection stops reading. */
    private static final int MAX_WAITING = 256;

    /** Told the outcome of one publish. */
    public interface Answer
    {
        /**
         * @param id the id the sequencer assigned.
         */
        void onPublished(long id);

        void onRejected(HttpRejection rejection);
    }

    private final PublishBackend broker;
    private final EventLoop loop;
    private final Runnable retryTask = this::onRetry;
    private final Runnable afterAnswers;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private PublisherSession session;
    private IngestRing.Producer producer;
    private int waiting;
    private boolean retryScheduled;
    private boolean closed;
    private final boolean countAsHttp;

    /**
     * @param afterAnswers run after each round of answers, so the connection writes them all and
     *                     flushes once.
     */
    public PublishQueue(final PublishBackend broker, final EventLoop loop, final Runnable afterAnswers)
    {
        this(broker, loop, afterAnswers, true);
    }

    /**
     * @param countAsHttp whether each publish counts in {@code http_publishes} (not for the broker's own feeds).
     */
    public PublishQueue(final PublishBackend broker, final EventLoop loop, final Runnable afterAnswers, final boolean countAsHttp)
    {
        this.broker = broker;
        this.loop = loop;
        this.afterAnswers = afterAnswers;
        this.countAsHttp = countAsHttp;
    }

    /**
     * Takes a publish; its answer comes after the answers of every publish submitted before it.
     *
     * @param message idempotency key, event name, then data; owned by the queue from now on.
     */
    public void submit(
        final ByteBuf message, final int topicIndex, final int keyLength, final int eventLength, final Answer answer)
    {
        if (closed)
        {
            message.release();
            answer.onRejected(HttpRejection.unavailable("broker is shutting down"));
            afterAnswers.run();
            return;
        }
        if (null == session)
        {
            session = broker.sessions().register(MAX_IN_FLIGHT, loop, this);
            if (null == session)
            {
                message.release();
                broker.counters().increment(Counter.HTTP_UNAVAILABLE);
                answer.onRejected(HttpRejection.unavailable("too many publishing connections"));
                afterAnswers.run();
                return;
            }
            producer = broker.ingestRing().newProducer();
        }
        if (countAsHttp)
        {
            broker.counters().increment(Counter.HTTP_PUBLISHES);
        }
        final long nowNs = System.nanoTime();
        final Pending p = new Pending(message, topicIndex, keyLength, eventLength, answer, nowNs,
            nowNs + TimeUnit.MILLISECONDS.toNanos(broker.config().requestTimeoutMs()));
        pending.addLast(p);
        waiting++;
        offerWaiting();
    }

    /**
     * @return true when so many publishes wait that the connection should stop reading.
     */
    public boolean isBacklogged()
    {
        return waiting >= MAX_WAITING;
    }

    /**
     * @return true when no publish is waiting for its answer.
     */
    public boolean isIdle()
    {
        return pending.isEmpty();
    }

    @Override
    public void onSequenced(final PublisherSession session)
    {
        answerInOrder();
    }

    /**
     * Releases what has not reached the ring and forgets the rest: the connection is gone. Their
     * answers are not called.
     */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (final Pending p : pending)
        {
            if (null != p.message)
            {
                p.message.release();
                p.message = null;
            }
        }
        pending.clear();
        waiting = 0;
        if (null != session)
        {
            broker.sessions().unregister(session);
            session = null;
        }
    }

    private void offerWaiting()
    {
        if (closed)
        {
            return;
        }
        final long nowNs = System.nanoTime();
        boolean offered = false;
        for (final Pending p : pending)
        {
            if (null == p.message)
            {
                continue;
            }
            if (0 == p.sequence)
            {
                if (session.isFull())
                {
                    break;
                }
                p.sequence = session.nextSequence();
            }
            final ByteBuf message = p.message;
            final int keyIndex = message.readerIndex();
            final int eventIndex = keyIndex + p.keyLength;
            final int dataIndex = eventIndex + p.eventLength;
            producer.receivedAt(p.receivedNs);
            if (producer.offer(session.id(), p.sequence, p.topicIndex, Deduplication.NO_PUBLISHER, 0,
                message, keyIndex, p.keyLength, eventIndex, p.eventLength, dataIndex, message.writerIndex() - dataIndex))
            {
                offered = true;
                p.message = null;
                message.release();
                waiting--;
                continue;
            }
            if (nowNs - p.deadlineNs > 0)
            {
                // Never reached the ring: it is answered in its turn and never sequenced.
                p.message = null;
                message.release();
                p.rejected = true;
                waiting--;
                session.markRejected(p.sequence);
                broker.counters().increment(Counter.HTTP_UNAVAILABLE);
                continue;
            }
            // Ring full: later publishes wait behind this one, so the ring sees them in order.
            if (!retryScheduled)
            {
                retryScheduled = true;
                loop.schedule(retryTask, 1, TimeUnit.MILLISECONDS);
            }
            break;
        }
        if (offered)
        {
            producer.signalConsumer();
        }
        answerInOrder();
    }

    private void onRetry()
    {
        retryScheduled = false;
        offerWaiting();
    }

    private void answerInOrder()
    {
        if (closed || null == session)
        {
            return;
        }
        final long sequenced = session.sequenced();
        boolean freed = false;
        boolean answered = false;
        Pending p;
        while (null != (p = pending.peekFirst()))
        {
            if (p.rejected)
            {
                pending.pollFirst();
                session.acknowledged(p.sequence);
                freed = true;
                answered = true;
                p.answer.onRejected(HttpRejection.unavailable("broker is overloaded: ingest ring full, retry later"));
            }
            else if (0 != p.sequence && null == p.message && p.sequence <= sequenced)
            {
                pending.pollFirst();
                final long id = session.assignedId(p.sequence);
                session.acknowledged(p.sequence);
                freed = true;
                answered = true;
                if (PublisherSession.UNAVAILABLE == id)
                {
                    p.answer.onRejected(HttpRejection.unavailable("the cluster's stream did not acknowledge in time; " +
                        "it may have been stored: resend with the same Idempotency-Key"));
                }
                else
                {
                    p.answer.onPublished(id);
                }
            }
            else
            {
                break;
            }
            if (closed)
            {
                return;
            }
        }
        if (freed && waiting > 0)
        {
            offerWaiting();
        }
        if (answered && !closed)
        {
            afterAnswers.run();
        }
    }

    private static final class Pending
    {
        final int topicIndex;
        final int keyLength;
        final int eventLength;
        final Answer answer;
        final long receivedNs;
        final long deadlineNs;
        ByteBuf message;
        long sequence;
        boolean rejected;

        Pending(
            final ByteBuf message,
            final int topicIndex,
            final int keyLength,
            final int eventLength,
            final Answer answer,
            final long receivedNs,
            final long deadlineNs)
        {
            this.receivedNs = receivedNs;
            this.message = message;
            this.topicIndex = topicIndex;
            this.keyLength = keyLength;
            this.eventLength = eventLength;
            this.answer = answer;
            this.deadlineNs = deadlineNs;
        }
    }
}

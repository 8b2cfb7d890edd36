package io.ssebroker.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.ssebroker.codec.SseControlFrames;
import io.ssebroker.log.EventLog;
import io.ssebroker.log.Topic;
import io.ssebroker.log.TopicRegistry;
import io.ssebroker.metrics.MetricsRegistry;
import org.HdrHistogram.Histogram;

import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Writes newly sequenced events to the subscribers of one event loop.
 *
 * <h2>Data path</h2>
 * <pre>
 *   sequencer ── publish ──► wake() ── one task per batch ──► drain():
 *      1. apply log entries: APPEND into this loop's TopicHistory, remember trims
 *      2. mark the subscribers of every topic that grew
 *      3. each marked cursor writes retained slices of the shared frames, then ends its batch:
 *         a connection of its own is flushed right away, a shared one (HTTP/2) is queued
 *      4. flush each queued shared connection once
 *      5. apply trims (after delivery, so a batch larger than the history still reaches everyone
 *         who is keeping up)
 * </pre>
 *
 * <h2>Write linger</h2>
 * With {@link #writeLinger} set, step 3 holds a cursor written less than the linger ago: the loop writes it
 * when the linger after its previous write is over, with everything that arrived meanwhile, in one socket
 * write. A cursor quiet for longer is written at once, so the linger costs latency only to events behind
 * another in a busy spell; a loop too busy to drain more often than the linger holds nothing.
 *
 * <h2>Back pressure and eviction</h2>
 * A cursor whose sink is not writable stops advancing and is marked stalled; it resumes on
 * {@link #onWritable}. {@link #onTimer} evicts a cursor stalled for longer than the grace period
 * ({@link EvictionReason#SLOW}); a cursor whose next event has been trimmed is evicted at once
 * ({@link EvictionReason#LAPPED}) unless every topic it lost belongs to a conflated topic, in which
 * case it skips to the newest event of that topic and the skip is counted.
 *
 * <h2>Reference counting</h2>
 * The loop owns one reference per APPEND entry (see {@link EventLog}); histories release it on trim;
 * sinks receive retained slices of the frames ({@link TopicHistory#retainedFrame}) and own those.
 * Control text (preamble, reset, heartbeat) goes through the sink as SSE bytes, which the sink frames.
 * <p>
 * <b>Threading:</b> everything except {@link #wake()} runs on the event loop given as executor.
 */
public final class LoopFanOut
{
    private static final int WRITTEN_LAPPED = -1;
    private static final String HISTORY_TRUNCATED = "history-truncated";
    /** Events per topic a deep replay reads back at a time. */
    private static final int DEEP_CHUNK_EVENTS = 1000;

    private final EventLog log;
    private final int reader;
    private final TopicRegistry topics;
    private final Executor executor;
    private final ByteBufAllocator alloc;
    private final long epochId;
    /** Below this id the log may miss events (a cluster node started consuming after it); see {@link #resumeBounds}. */
    private long historyFloorId = Long.MIN_VALUE;
    /** The furthest id known to exist, ahead of this log in a cluster; null: the log's head. */
    private LongSupplier knownHeadId;
    /** Where resumes from below the histories are read back from; null: they get {@code history-truncated}. */
    private DeepHistory deepHistory;
    /** Cursors being served from the deep history, not yet registered. */
    private SubscriberCursor[] replaying = new SubscriberCursor[8];
    private int replayingCount;
    private final int maxBatch;
    /** Ingest times of the APPENDs of the current drain (at most a batch), recorded after the write. */
    private final long[] pendingReceivedNs;
    private int pendingLatencies;
    /** Reused each timer tick for the subscribers' lag; copied out, never shared. */
    private final Histogram lagScratch = new Histogram(1, FanOutStats.MAX_LAG_EVENTS, 2);
    private final long graceNs;
    private final long heartbeatNs;
    private final ByteBuf preamble;
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final Runnable drainTask = this::runDrain;

    private TopicHistory[] histories = new TopicHistory[64];
    private SubscriberCursor[][] subscribersByTopic = new SubscriberCursor[64][];
    private int[] subscriberCounts = new int[64];
    private boolean[] topicDirty = new boolean[64];
    private int[] dirtyTopics = new int[64];
    private int dirtyTopicCount;

    private SubscriberCursor[] all = new SubscriberCursor[64];
    private int allCount;
    private SubscriberCursor[] dirty = new SubscriberCursor[64];
    private int dirtyCount;

    private int[] trimTopics = new int[64];
    private long[] trimIds = new long[64];
    private int trimCount;

    private SinkConnection[] connectionsToFlush = new SinkConnection[16];
    private int connectionsToFlushCount;

    /** Write linger: a cursor written less than this long ago waits for the rest of it; 0 for none. */
    private long writeLingerNs;
    private LoopTimer lingerTimer;
    /** Cursors held back by the write linger, in the order they were held. */
    private SubscriberCursor[] lingering = new SubscriberCursor[16];
    private int lingeringCount;
    /** When the earliest pending linger task runs; meaningful while {@link #lingerTaskPending}. */
    private long lingerTaskAtNs;
    private boolean lingerTaskPending;
    private final Runnable lingerTask = () -> writeLingering(System.nanoTime());

    private final FanOutStats stats;
    /** SSE bytes of the events written since the last {@link FanOutStats#delivered} (loop-confined). */
    private long bytesWritten;

    /**
     * A fan-out whose counters are registered with a registry of its own (tests, benchmarks).
     */
    public LoopFanOut(
        final EventLog log,
        final int reader,
        final TopicRegistry topics,
        final Executor executor,
        final ByteBufAllocator alloc,
        final long epochId,
        final int maxBatch,
        final long graceNs,
        final long heartbeatNs,
        final long retryMs)
    {
        this(log, reader, topics, executor, alloc, epochId, maxBatch, graceNs, heartbeatNs, retryMs,
            new MetricsRegistry(16));
    }

    /**
     * @param metrics where its counters are registered, labelled with {@code loop} = {@code reader}.
     */
    public LoopFanOut(
        final EventLog log,
        final int reader,
        final TopicRegistry topics,
        final Executor executor,
        final ByteBufAllocator alloc,
        final long epochId,
        final int maxBatch,
        final long graceNs,
        final long heartbeatNs,
        final long retryMs,
        final MetricsRegistry metrics)
    {
        this.stats = new FanOutStats(metrics, reader);
        this.log = log;
        this.reader = reader;
        this.topics = topics;
        this.executor = executor;
        this.alloc = alloc;
        this.epochId = epochId;
        this.maxBatch = maxBatch;
        this.pendingReceivedNs = new long[maxBatch];
        this.graceNs = graceNs;
        this.heartbeatNs = heartbeatNs;
        this.preamble = SseControlFrames.preamble(retryMs);
    }

    /**
     * For a log fed from a shared stream (cluster mode), what a {@code Last-Event-ID} may name besides this log's own
     * range. Call before the first subscribe.
     *
     * @param historyFloorId the log holds every event with an id above this one, and maybe not those at or below it:
     *                       a resume from below it gets {@code history-truncated}.
     * @param knownHeadId    the furthest id known to exist in the stream (any thread may update it): a resume from
     *                       above this log's head but not above it waits at that id for this log to catch up
     *                       instead of getting {@code future-id}.
     */
    public void resumeBounds(final long historyFloorId, final LongSupplier knownHeadId)
    {
        this.historyFloorId = historyFloorId;
        this.knownHeadId = knownHeadId;
    }

    /**
     * Serves resumes from below this loop's histories from a shared stream instead of answering
     * {@code history-truncated}. Call before the first subscribe.
     */
    public void deepHistory(final DeepHistory deepHistory)
    {
        this.deepHistory = deepHistory;
    }

    /**
     * Holds a subscriber's next write until {@code lingerNs} after its previous one, so that events arriving
     * meanwhile go out in one socket write: per subscriber and adaptive, so a stream that has been quiet for
     * longer is written at once and only the events behind it in a busy spell wait, by at most the linger.
     * Subscribe catch-up, writes after back-pressure and heartbeats are never held. Call before the first
     * subscribe.
     *
     * @param lingerNs 0 for none (the default): every drain writes at once.
     * @param timer    runs the held writes on this loop when their linger is over.
     */
    public void writeLinger(final long lingerNs, final LoopTimer timer)
    {
        if (lingerNs < 0)
        {
            throw new IllegalArgumentException("write linger must not be negative: " + lingerNs);
        }
        this.writeLingerNs = lingerNs;
        this.lingerTimer = timer;
    }

    public FanOutStats stats()
    {
        return stats;
    }

    /** @return streams on this loop, those being served from the deep history included. */
    public int subscriberCount()
    {
        return allCount + replayingCount;
    }

    /**
     * Schedules a drain on the loop unless one is already pending. Any thread.
     */
    public void wake()
    {
        if (wakePending.compareAndSet(false, true))
        {
            executor.execute(drainTask);
        }
    }

    private void runDrain()
    {
        // Clear before draining: a publish after our read of the log schedules another drain.
        wakePending.set(false);
        drain(System.nanoTime());
        if (log.published() > log.consumed(reader))
        {
            wake();
        }
    }

    /**
     * Applies up to a batch of log entries and delivers them.
     *
     * @return number of log entries applied.
     */
    public int drain(final long nowNs)
    {
        final EventLog log = this.log;
        final long published = log.published();
        final long consumed = log.consumed(reader);
        final long limit = Math.min(published, consumed + maxBatch);
        if (limit <= consumed)
        {
            return 0;
        }

        for (long s = consumed; s < limit; s++)
        {
            final int topic = log.topic(s);
            ensureTopic(topic);
            if (EventLog.APPEND == log.kind(s))
            {
                final long receivedNs = log.receivedNs(s);
                // Measured where it is delivered: a loop with no subscriber of the topic applies it lazily, late.
                if (0 != receivedNs && subscriberCounts[topic] > 0)
                {
                    pendingReceivedNs[pendingLatencies++] = receivedNs;
                }
                final long id = log.id(s);
                histories[topic].append(
                    id, log.frameBuffer(s), log.frameOffset(s), log.frameLength(s), log.payloadLength(s));
                if (!topicDirty[topic])
                {
                    topicDirty[topic] = true;
                    dirtyTopics[dirtyTopicCount++] = topic;
                }
                final long trimUpTo = log.trimUpToId(s);
                if (trimUpTo >= 0)
                {
                    addTrim(topic, trimUpTo);
                }
            }
            else
            {
                addTrim(topic, log.trimUpToId(s));
            }
        }
        // Release: our frame references are taken; the sequencer may reuse these slots.
        log.consumed(reader, limit);

        for (int i = 0, n = dirtyTopicCount; i < n; i++)
        {
            final int topic = dirtyTopics[i];
            topicDirty[topic] = false;
            final SubscriberCursor[] subscribers = subscribersByTopic[topic];
            for (int j = 0, m = subscriberCounts[topic]; j < m; j++)
            {
                markDirty(subscribers[j]);
            }
        }
        dirtyTopicCount = 0;

        writeDirty(nowNs);
        recordLatencies();
        applyTrims();
        stats.drained();
        return (int)(limit - consumed);
    }

    /**
     * Ingest-to-write latency of the events just applied that this loop has subscribers for, one clock read for
     * the batch: each event counts once per such loop, however many subscribers it went to.
     */
    private void recordLatencies()
    {
        final int count = pendingLatencies;
        if (count > 0)
        {
            final long nowNs = System.nanoTime();
            final long[] received = pendingReceivedNs;
            for (int i = 0; i < count; i++)
            {
                stats.recordLatencyNs(nowNs - received[i]);
            }
            pendingLatencies = 0;
        }
    }

    private void writeDirty(final long nowNs)
    {
        final SubscriberCursor[] dirty = this.dirty;
        final int count = dirtyCount;
        long delivered = 0;
        // Each cursor writes everything it can and a connection of its own is flushed right away:
        // still one flush per channel per batch, and the slices and outbound entries of one channel
        // go out before the next channel's are made, which keeps Netty's per-thread object pools
        // from running dry. Shared connections are flushed once, after all their streams wrote.
        final long lingerNs = this.writeLingerNs;
        long earliestLingerEndNs = Long.MAX_VALUE;
        int held = 0;
        for (int i = 0; i < count; i++)
        {
            final SubscriberCursor cursor = dirty[i];
            dirty[i] = null;
            cursor.dirty = false;
            if (0 != lingerNs && !cursor.closed)
            {
                if (cursor.lingering)
                {
                    continue;
                }
                final long lingerEndNs = cursor.lastWriteNs + lingerNs;
                if (lingerEndNs - nowNs > 0)
                {
                    linger(cursor);
                    held++;
                    earliestLingerEndNs = Math.min(earliestLingerEndNs, lingerEndNs);
                    continue;
                }
            }
            delivered += writeAndEndBatch(cursor, nowNs);
        }
        dirtyCount = 0;
        if (0 != held)
        {
            stats.lingered(held);
            scheduleLingerTask(earliestLingerEndNs, nowNs);
        }
        flushConnections();
        stats.delivered(delivered, bytesWritten);
        bytesWritten = 0;
    }

    /**
     * Writes what the cursor can take and ends its batch; evicts it when it was lapped. The caller
     * flushes the queued shared connections ({@link #flushConnections}).
     *
     * @return events written.
     */
    private int writeAndEndBatch(final SubscriberCursor cursor, final long nowNs)
    {
        final int written = write(cursor, nowNs);
        if (WRITTEN_LAPPED == written)
        {
            evict(cursor, EvictionReason.LAPPED);
            return 0;
        }
        if (cursor.needsFlush && !cursor.closed)
        {
            cursor.needsFlush = false;
            endBatch(cursor.sink);
        }
        return written;
    }

    private void linger(final SubscriberCursor cursor)
    {
        cursor.lingering = true;
        if (lingeringCount == lingering.length)
        {
            lingering = Arrays.copyOf(lingering, lingeringCount * 2);
        }
        lingering[lingeringCount++] = cursor;
    }

    private void scheduleLingerTask(final long atNs, final long nowNs)
    {
        // One task is enough unless this linger ends before the pending one runs.
        if (!lingerTaskPending || atNs - lingerTaskAtNs < 0)
        {
            lingerTaskPending = true;
            lingerTaskAtNs = atNs;
            lingerTimer.schedule(lingerTask, Math.max(0, atNs - nowNs));
        }
    }

    /**
     * Writes the held cursors whose linger is over (or nearly: within an eighth of it, not worth a timer of its
     * own) and schedules the next task for the rest. Package-private for tests, which pass their own clock.
     */
    void writeLingering(final long nowNs)
    {
        // The task that called this ran; a later one still queued (scheduled for an earlier end) finds less to do.
        lingerTaskPending = false;
        final SubscriberCursor[] held = this.lingering;
        final long slackNs = writeLingerNs >> 3;
        long earliestLingerEndNs = Long.MAX_VALUE;
        long delivered = 0;
        int kept = 0;
        for (int i = 0, n = lingeringCount; i < n; i++)
        {
            final SubscriberCursor cursor = held[i];
            held[i] = null;
            if (cursor.closed)
            {
                cursor.lingering = false;
                continue;
            }
            final long lingerEndNs = cursor.lastWriteNs + writeLingerNs;
            if (lingerEndNs - nowNs > slackNs)
            {
                held[kept++] = cursor;
                earliestLingerEndNs = Math.min(earliestLingerEndNs, lingerEndNs);
                continue;
            }
            cursor.lingering = false;
            delivered += writeAndEndBatch(cursor, nowNs);
        }
        lingeringCount = kept;
        flushConnections();
        stats.delivered(delivered, bytesWritten);
        bytesWritten = 0;
        if (Long.MAX_VALUE != earliestLingerEndNs)
        {
            scheduleLingerTask(earliestLingerEndNs, nowNs);
        }
    }

    private void endBatch(final SubscriberSink sink)
    {
        final SinkConnection connection = sink.endBatch();
        if (null != connection && !connection.flushQueued)
        {
            connection.flushQueued = true;
            if (connectionsToFlushCount == connectionsToFlush.length)
            {
                connectionsToFlush = Arrays.copyOf(connectionsToFlush, connectionsToFlushCount * 2);
            }
            connectionsToFlush[connectionsToFlushCount++] = connection;
        }
    }

    private void flushConnections()
    {
        final SinkConnection[] connections = this.connectionsToFlush;
        for (int i = 0, n = connectionsToFlushCount; i < n; i++)
        {
            final SinkConnection connection = connections[i];
            connections[i] = null;
            connection.flushQueued = false;
            connection.flush();
        }
        connectionsToFlushCount = 0;
    }

    /**
     * Writes what the cursor can take.
     *
     * @return events written, or {@link #WRITTEN_LAPPED} when history no longer holds what it needs.
     */
    private int write(final SubscriberCursor cursor, final long nowNs)
    {
        if (cursor.closed)
        {
            return 0;
        }
        final int[] topics = cursor.topics;
        final long[] positions = cursor.positions;
        final SubscriberSink sink = cursor.sink;
        long lastSentId = cursor.lastSentId;
        int written = 0;

        for (int i = 0; i < topics.length; i++)
        {
            final TopicHistory history = histories[topics[i]];
            if (positions[i] < history.tail())
            {
                if (history.evictedUpToId() > lastSentId && !skipLappedSlowPath(cursor, i, history))
                {
                    return WRITTEN_LAPPED;
                }
                positions[i] = Math.max(positions[i], history.tail());
            }
        }

        if (1 == topics.length && sink.takesFrameRuns())
        {
            // Runs of frames back to back in one slab (a hot topic's frames, in id order) leave as one slice each:
            // one reference to the slab and one outbound entry per run, where a slice per event would take and give
            // back a reference to the slab, shared with the other loops, for every delivery. A run ends with the
            // frame that reaches the sink's room, so its bound is overshot by at most one frame, as one at a time.
            final TopicHistory history = histories[topics[0]];
            long position = positions[0];
            final long head = history.head();
            while (position < head && history.id(position) <= lastSentId)
            {
                position++;
            }
            long room;
            while (position < head && (room = sink.writableBytes()) > 0)
            {
                long end = position + 1;
                long runBytes = history.frameLength(position);
                long payloadBytes = history.payloadLength(position);
                while (end < head && runBytes < room && history.followsPrevious(end))
                {
                    runBytes += history.frameLength(end);
                    payloadBytes += history.payloadLength(end);
                    end++;
                }
                final int events = (int)(end - position);
                if (1 == events)
                {
                    sink.writeEvent(history.retainedFrame(position), history.payloadOffset(position), (int)payloadBytes);
                }
                else
                {
                    sink.writeFrames(history.retainedFrames(position, end), events);
                }
                bytesWritten += payloadBytes;
                lastSentId = history.id(end - 1);
                written += events;
                position = end;
            }
            positions[0] = position;
        }
        else if (1 == topics.length)
        {
            final TopicHistory history = histories[topics[0]];
            long position = positions[0];
            final long head = history.head();
            while (position < head)
            {
                final long id = history.id(position);
                if (id > lastSentId)
                {
                    if (!sink.isWritable())
                    {
                        break;
                    }
                    final int payloadLength = history.payloadLength(position);
                    sink.writeEvent(history.retainedFrame(position), history.payloadOffset(position), payloadLength);
                    bytesWritten += payloadLength;
                    lastSentId = id;
                    written++;
                }
                position++;
            }
            positions[0] = position;
        }
        else
        {
            while (true)
            {
                int next = -1;
                long nextId = Long.MAX_VALUE;
                for (int i = 0; i < topics.length; i++)
                {
                    final TopicHistory history = histories[topics[i]];
                    final long position = positions[i];
                    if (position < history.head())
                    {
                        final long id = history.id(position);
                        if (id < nextId)
                        {
                            nextId = id;
                            next = i;
                        }
                    }
                }
                if (next < 0)
                {
                    break;
                }
                if (nextId > lastSentId)
                {
                    if (!sink.isWritable())
                    {
                        break;
                    }
                    final TopicHistory history = histories[topics[next]];
                    final long position = positions[next];
                    final int payloadLength = history.payloadLength(position);
                    sink.writeEvent(history.retainedFrame(position), history.payloadOffset(position), payloadLength);
                    bytesWritten += payloadLength;
                    lastSentId = nextId;
                    written++;
                }
                positions[next]++;
            }
        }

        cursor.lastSentId = lastSentId;
        if (written > 0)
        {
            cursor.needsFlush = true;
            cursor.lastWriteNs = nowNs;
        }
        if (!sink.isWritable())
        {
            if (0 == cursor.stalledSinceNs)
            {
                cursor.stalledSinceNs = nowNs;
                stats.stalled();
            }
        }
        return written;
    }

    private boolean skipLappedSlowPath(final SubscriberCursor cursor, final int i, final TopicHistory history)
    {
        final Topic topic = topics.byIndex(cursor.topics[i]);
        if (!topic.policy().conflate() || history.head() == history.tail())
        {
            return false;
        }
        // Conflation: the newest value of the topic stands for everything the subscriber missed.
        cursor.positions[i] = history.head() - 1;
        stats.conflated();
        return true;
    }

    /**
     * Registers a subscriber, tells it in-band when its resume point cannot be honoured, and writes
     * what history holds for it, after the preamble. The caller has already written the response
     * headers.
     *
     * @param topicIndexes distinct topic indexes.
     * @param lastEventId  the client's {@code Last-Event-ID} as sent, or null.
     * @return the cursor, to pass to {@link #onWritable} and {@link #remove}.
     */
    public SubscriberCursor subscribe(
        final int[] topicIndexes, final String lastEventId, final SubscriberSink sink, final long nowNs)
    {
        // Marked before catching up: the sequencer reads the marks after it publishes a batch, so an event it
        // publishes after the drain below wakes this loop, and one published before is in the drain.
        for (final int topic : topicIndexes)
        {
            topics.byIndex(topic).addLoop(reader);
        }
        // Bring this loop up to date first, so the replay below covers everything sequenced so far.
        while (drain(nowNs) > 0)
        {
            // applies and delivers pending entries in batches
        }
        for (final int topic : topicIndexes)
        {
            ensureTopic(topic);
        }
        final long headId = log.headId();
        long lastSentId = headId;
        String resetReason = null;
        if (null != lastEventId)
        {
            final long requested = parseId(lastEventId);
            if (requested < 0)
            {
                resetReason = "malformed-id";
                lastSentId = -1;
            }
            else if (requested < epochId - 1)
            {
                resetReason = "unknown-epoch";
                lastSentId = -1;
            }
            else if (requested > headId && (null == knownHeadId || requested > knownHeadId.getAsLong()))
            {
                resetReason = "future-id";
                lastSentId = -1;
            }
            else if (requested < historyFloorId)
            {
                resetReason = HISTORY_TRUNCATED;
                lastSentId = requested;
            }
            else
            {
                lastSentId = requested;
                for (final int topic : topicIndexes)
                {
                    if (histories[topic].evictedUpToId() > requested)
                    {
                        resetReason = HISTORY_TRUNCATED;
                        break;
                    }
                }
            }
        }

        final SubscriberCursor cursor = new SubscriberCursor(topicIndexes, sink, lastSentId, nowNs);
        sink.writeControl(preamble.duplicate());
        if (HISTORY_TRUNCATED.equals(resetReason) && null != deepHistory)
        {
            // Older than this loop holds: read it back from the shared stream first, then attach.
            startDeepReplay(cursor, lastEventId, nowNs);
            return cursor;
        }
        attach(cursor, lastEventId, resetReason, nowNs);
        return cursor;
    }

    /**
     * Positions the cursor after its last sent id, sends the reset notice if there is one, registers it and writes
     * what its topics' histories hold after that id.
     */
    private void attach(
        final SubscriberCursor cursor, final String lastEventId, final String resetReason, final long nowNs)
    {
        final int[] topicIndexes = cursor.topics;
        final SubscriberSink sink = cursor.sink;
        for (int i = 0; i < topicIndexes.length; i++)
        {
            cursor.positions[i] = histories[topicIndexes[i]].positionAfter(cursor.lastSentId);
        }
        if (null != resetReason)
        {
            writeReset(cursor, resetReason, lastEventId, oldestRetainedId(topicIndexes));
        }
        register(cursor);
        final int written = write(cursor, nowNs);
        stats.delivered(Math.max(0, written), bytesWritten);
        bytesWritten = 0;
        cursor.needsFlush = false;
        endBatch(sink);
        flushConnections();
        if (WRITTEN_LAPPED == written)
        {
            // Trimmed between the drain above and the replay: the same rule as on any later batch.
            evict(cursor, EvictionReason.LAPPED);
        }
        else if (log.published() > log.consumed(reader))
        {
            // Published while the marks were being set: the sequencer may not have seen this loop's mark.
            wake();
        }
    }

    private long oldestRetainedId(final int[] topicIndexes)
    {
        long oldest = Long.MAX_VALUE;
        for (final int topic : topicIndexes)
        {
            final long id = histories[topic].oldestId();
            if (id >= 0)
            {
                oldest = Math.min(oldest, id);
            }
        }
        return Long.MAX_VALUE == oldest ? -1 : oldest;
    }

    private void writeReset(
        final SubscriberCursor cursor, final String reason, final String lastEventId, final long oldestId)
    {
        cursor.sink.writeControl(SseControlFrames.reset(alloc, reason, lastEventId, oldestId, log.headId()));
        stats.resetSent();
    }

    /**
     * @return true when this loop's histories hold every event of the cursor's topics after its last sent id.
     */
    private boolean historiesReach(final SubscriberCursor cursor)
    {
        if (cursor.lastSentId < historyFloorId)
        {
            return false;
        }
        for (final int topic : cursor.topics)
        {
            if (histories[topic].evictedUpToId() > cursor.lastSentId)
            {
                return false;
            }
        }
        return true;
    }

    private void startDeepReplay(final SubscriberCursor cursor, final String lastEventId, final long nowNs)
    {
        final int[] topicIndexes = cursor.topics;
        final String[] names = new String[topicIndexes.length];
        for (int i = 0; i < topicIndexes.length; i++)
        {
            names[i] = topics.byIndex(topicIndexes[i]).name();
        }
        cursor.deepReplay = new DeepReplay(names, lastEventId);
        cursor.lastWriteNs = nowNs;
        if (replayingCount == replaying.length)
        {
            replaying = Arrays.copyOf(replaying, replayingCount * 2);
        }
        replaying[replayingCount++] = cursor;
        stats.deepReplayStarted();
        endBatch(cursor.sink);
        flushConnections();
        loadDeep(cursor);
    }

    private void loadDeep(final SubscriberCursor cursor)
    {
        cursor.deepReplay.loading = true;
        deepHistory.load(cursor.deepReplay.topicNames, cursor.lastSentId, DEEP_CHUNK_EVENTS, chunk ->
        {
            try
            {
                executor.execute(() -> onDeepChunk(cursor, chunk));
            }
            catch (final RuntimeException loopGone)
            {
                chunk.release(); // the loop is shutting down
            }
        });
    }

    /**
     * Writes a chunk read back from the deep history, up to this loop's head (later events come from the histories),
     * then loads the next one, waits for the sink to drain, or attaches the cursor once the histories reach back to
     * where it is.
     */
    private void onDeepChunk(final SubscriberCursor cursor, final ReplayChunk chunk)
    {
        final DeepReplay replay = cursor.deepReplay;
        try
        {
            if (cursor.closed || null == replay)
            {
                return;
            }
            replay.loading = false;
            final long nowNs = System.nanoTime();
            while (drain(nowNs) > 0)
            {
                // up to date first, so the head below is this loop's latest
            }
            if (chunk.isFailed())
            {
                stats.deepReplayFailed();
                finishDeepReplay(cursor, HISTORY_TRUNCATED, nowNs);
                return;
            }
            if (!chunk.reachesBack() && !replay.resetSent)
            {
                replay.resetSent = true;
                writeReset(cursor, HISTORY_TRUNCATED, replay.lastEventId, chunk.oldestId());
            }
            final long headId = log.headId();
            final SubscriberSink sink = cursor.sink;
            int written = 0;
            long bytes = 0;
            for (int i = 0, n = chunk.count(); i < n; i++)
            {
                final long id = chunk.id(i);
                if (id > headId)
                {
                    break;
                }
                if (id <= cursor.lastSentId)
                {
                    continue;
                }
                final int payloadLength = chunk.payloadLength(i);
                sink.writeEvent(chunk.retainedFrame(i), chunk.payloadOffset(i), payloadLength);
                cursor.lastSentId = id;
                bytes += payloadLength;
                written++;
            }
            // No other event of these topics up to there: nothing to wait for below it.
            final long before = cursor.lastSentId;
            cursor.lastSentId = Math.max(cursor.lastSentId, Math.min(chunk.completeThroughId(), headId));
            final boolean moved = written > 0 || cursor.lastSentId > before;
            stats.delivered(written, bytes);
            stats.deepReplayed(written);
            if (written > 0)
            {
                cursor.lastWriteNs = nowNs;
            }
            if (historiesReach(cursor))
            {
                finishDeepReplay(cursor, null, nowNs);
                return;
            }
            endBatch(sink);
            flushConnections();
            if (!moved)
            {
                replay.retryAtTimer = true; // this node has not applied what the stream holds yet
            }
            else if (sink.isWritable())
            {
                loadDeep(cursor);
            }
            else if (0 == cursor.stalledSinceNs)
            {
                cursor.stalledSinceNs = nowNs; // onWritable loads the next chunk; onTimer evicts past the grace
            }
        }
        finally
        {
            chunk.release();
        }
    }

    private void finishDeepReplay(final SubscriberCursor cursor, final String resetReason, final long nowNs)
    {
        final DeepReplay replay = cursor.deepReplay;
        removeReplaying(cursor);
        cursor.deepReplay = null;
        cursor.stalledSinceNs = 0;
        attach(cursor, replay.lastEventId, replay.resetSent ? null : resetReason, nowNs);
    }

    private void removeReplaying(final SubscriberCursor cursor)
    {
        for (int i = 0; i < replayingCount; i++)
        {
            if (replaying[i] == cursor)
            {
                replaying[i] = replaying[--replayingCount];
                replaying[replayingCount] = null;
                return;
            }
        }
    }

    /**
     * Resumes a cursor whose sink became writable again.
     */
    public void onWritable(final SubscriberCursor cursor, final long nowNs)
    {
        if (cursor.closed)
        {
            return;
        }
        cursor.stalledSinceNs = 0;
        final DeepReplay replay = cursor.deepReplay;
        if (null != replay)
        {
            if (!replay.loading && !replay.retryAtTimer)
            {
                loadDeep(cursor);
            }
            return;
        }
        stats.delivered(writeAndEndBatch(cursor, nowNs), bytesWritten);
        bytesWritten = 0;
        flushConnections();
    }

    /**
     * Periodic duty: evicts subscribers stalled past the grace period and sends heartbeats on idle
     * streams. Call about once a second.
     */
    public void onTimer(final long nowNs)
    {
        publishLag();
        for (int i = replayingCount - 1; i >= 0; i--)
        {
            final SubscriberCursor cursor = replaying[i];
            final DeepReplay replay = cursor.deepReplay;
            if (0 != cursor.stalledSinceNs && nowNs - cursor.stalledSinceNs - graceNs > 0)
            {
                evict(cursor, EvictionReason.SLOW);
            }
            else if (replay.retryAtTimer && !replay.loading)
            {
                replay.retryAtTimer = false;
                loadDeep(cursor);
            }
        }
        for (int i = allCount - 1; i >= 0; i--)
        {
            final SubscriberCursor cursor = all[i];
            if (0 != cursor.stalledSinceNs)
            {
                if (nowNs - cursor.stalledSinceNs - graceNs > 0)
                {
                    evict(cursor, EvictionReason.SLOW);
                }
            }
            else if (nowNs - cursor.lastWriteNs - heartbeatNs >= 0)
            {
                cursor.lastWriteNs = nowNs;
                cursor.sink.writeHeartbeat();
                endBatch(cursor.sink);
                stats.heartbeatSent();
            }
        }
        flushConnections();
    }

    /**
     * Records how many retained events each subscriber has still to receive, summed over its topics, and hands
     * the histogram to the stats (a fresh copy a tick: once a second, off the delivery path).
     */
    private void publishLag()
    {
        final Histogram lag = lagScratch;
        lag.reset();
        for (int i = 0; i < allCount; i++)
        {
            final SubscriberCursor cursor = all[i];
            final int[] topics = cursor.topics;
            long behind = 0;
            for (int t = 0; t < topics.length; t++)
            {
                behind += Math.max(0, histories[topics[t]].head() - cursor.positions[t]);
            }
            lag.recordValue(Math.min(FanOutStats.MAX_LAG_EVENTS, behind));
        }
        stats.publishLag(lag.copy());
    }

    /**
     * Unregisters a subscriber whose stream ended (client went away). Idempotent.
     */
    public void remove(final SubscriberCursor cursor)
    {
        if (cursor.closed)
        {
            return;
        }
        cursor.closed = true;
        if (null != cursor.deepReplay)
        {
            // Never registered: only the loop marks subscribe set.
            removeReplaying(cursor);
            cursor.deepReplay = null;
            for (final int topic : cursor.topics)
            {
                if (0 == subscriberCounts[topic])
                {
                    this.topics.byIndex(topic).removeLoop(reader);
                }
            }
            return;
        }
        final int[] topics = cursor.topics;
        for (int i = 0; i < topics.length; i++)
        {
            final int topic = topics[i];
            final SubscriberCursor[] subscribers = subscribersByTopic[topic];
            final int slot = cursor.slots[i];
            final int last = --subscriberCounts[topic];
            final Topic removedFrom = this.topics.byIndex(topic);
            removedFrom.addSubscribers(-1);
            if (0 == last)
            {
                removedFrom.removeLoop(reader);
            }
            final SubscriberCursor moved = subscribers[last];
            subscribers[slot] = moved;
            subscribers[last] = null;
            if (moved != cursor)
            {
                final int[] movedTopics = moved.topics;
                for (int k = 0; k < movedTopics.length; k++)
                {
                    if (movedTopics[k] == topic)
                    {
                        moved.slots[k] = slot;
                        break;
                    }
                }
            }
        }
        final int lastAll = --allCount;
        stats.subscriberCount(allCount);
        final SubscriberCursor movedAll = all[lastAll];
        all[cursor.allIndex] = movedAll;
        movedAll.allIndex = cursor.allIndex;
        all[lastAll] = null;
        cursor.allIndex = -1;
    }

    /**
     * Ends every stream (shutdown).
     */
    public void closeAll(final EvictionReason reason)
    {
        closeDownTo(0, reason);
    }

    /**
     * Ends streams, the latest registered first, until at most {@code remaining} are left (a paced drain).
     *
     * @return how many were ended.
     */
    public int closeDownTo(final int remaining, final EvictionReason reason)
    {
        final int keep = Math.max(0, remaining);
        int ended = 0;
        while (replayingCount > 0 && allCount + replayingCount > keep)
        {
            evict(replaying[replayingCount - 1], reason);
            ended++;
        }
        while (allCount > keep)
        {
            evict(all[allCount - 1], reason);
            ended++;
        }
        flushConnections();
        return ended;
    }

    /**
     * Releases every frame reference this loop holds: its histories and log entries it has not
     * applied. Call once, on the loop, after the sequencer has stopped.
     */
    public void release()
    {
        // A linger task still queued then finds nothing held.
        Arrays.fill(lingering, 0, lingeringCount, null);
        lingeringCount = 0;
        final long published = log.published();
        for (long s = log.consumed(reader); s < published; s++)
        {
            if (EventLog.APPEND == log.kind(s))
            {
                log.frameBuffer(s).release();
            }
        }
        log.consumed(reader, published);
        for (final TopicHistory history : histories)
        {
            if (null != history)
            {
                history.close();
            }
        }
    }

    private void evict(final SubscriberCursor cursor, final EvictionReason reason)
    {
        remove(cursor);
        stats.evicted(reason);
        cursor.sink.close(reason);
    }

    private void register(final SubscriberCursor cursor)
    {
        final int[] topics = cursor.topics;
        for (int i = 0; i < topics.length; i++)
        {
            final int topic = topics[i];
            SubscriberCursor[] subscribers = subscribersByTopic[topic];
            final int count = subscriberCounts[topic];
            if (null == subscribers)
            {
                subscribers = new SubscriberCursor[4];
                subscribersByTopic[topic] = subscribers;
            }
            else if (count == subscribers.length)
            {
                subscribers = Arrays.copyOf(subscribers, count * 2);
                subscribersByTopic[topic] = subscribers;
            }
            subscribers[count] = cursor;
            cursor.slots[i] = count;
            subscriberCounts[topic] = count + 1;
            final Topic added = this.topics.byIndex(topic);
            added.addSubscribers(1);
            // Again here: an eviction during subscribe's catch-up may have cleared the mark it set first.
            added.addLoop(reader);
        }
        if (allCount == all.length)
        {
            all = Arrays.copyOf(all, allCount * 2);
        }
        cursor.allIndex = allCount;
        all[allCount++] = cursor;
        stats.subscriberCount(allCount);
    }

    private void markDirty(final SubscriberCursor cursor)
    {
        if (!cursor.dirty)
        {
            cursor.dirty = true;
            if (dirtyCount == dirty.length)
            {
                dirty = Arrays.copyOf(dirty, dirtyCount * 2);
            }
            dirty[dirtyCount++] = cursor;
        }
    }

    private void addTrim(final int topic, final long upToId)
    {
        if (trimCount == trimIds.length)
        {
            trimTopics = Arrays.copyOf(trimTopics, trimCount * 2);
            trimIds = Arrays.copyOf(trimIds, trimCount * 2);
        }
        trimTopics[trimCount] = topic;
        trimIds[trimCount] = upToId;
        trimCount++;
    }

    private void applyTrims()
    {
        for (int i = 0, n = trimCount; i < n; i++)
        {
            histories[trimTopics[i]].trimUpTo(trimIds[i]);
        }
        trimCount = 0;
    }

    private void ensureTopic(final int topic)
    {
        if (topic >= histories.length)
        {
            final int capacity = Math.max(topic + 1, histories.length * 2);
            histories = Arrays.copyOf(histories, capacity);
            subscribersByTopic = Arrays.copyOf(subscribersByTopic, capacity);
            subscriberCounts = Arrays.copyOf(subscriberCounts, capacity);
            topicDirty = Arrays.copyOf(topicDirty, capacity);
            dirtyTopics = Arrays.copyOf(dirtyTopics, capacity);
        }
        if (null == histories[topic])
        {
            histories[topic] = new TopicHistory();
        }
    }

    /**
     * @return the id, or -1 when the text is not a non-negative decimal integer that fits a long.
     */
    static long parseId(final String text)
    {
        final int length = text.length();
        if (length < 1 || length > 18)
        {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < length; i++)
        {
            final char c = text.charAt(i);
            if (c < '0' || c > '9')
            {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    /**
     * For tests and diagnostics: retained events of a topic on this loop.
     */
    public int retained(final int topic)
    {
        return topic < histories.length && null != histories[topic] ? histories[topic].size() : 0;
    }
}

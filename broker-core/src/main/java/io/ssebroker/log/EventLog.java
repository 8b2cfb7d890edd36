package io.ssebroker.log;

import io.ssebroker.concurrent.PaddedSequence;
import io.netty.buffer.ByteBuf;
import io.ssebroker.codec.SseFrameEncoder;

/**
 * The sequenced log from the sequencer to the event loops: a bounded single-writer, multi-reader
 * ring of commands, each reader consuming every entry at its own pace (a Disruptor-style gated
 * broadcast).
 *
 * <pre>
 *    readers' consumed counts            published count
 *              v   v                             v
 *   ... | A | A | T | A | A | A | A | A | A | A |  free  | ...
 *   A = APPEND(topic, id, trimUpToId, buffer, offset, length, payloadLength)   T = TRIM(topic, upToId)
 * </pre>
 *
 * An event's frame is bytes {@code [offset, offset + length)} of a buffer, which may hold other
 * frames too (the sequencer's slabs). Its SSE bytes are the {@code payloadLength} bytes after the
 * chunk header ({@link SseFrameEncoder#chunkHeaderLength}); the log records the payload length so
 * no reader has to parse the frame to find them.
 *
 * <h2>Reference counting</h2>
 * Each {@code APPEND} carries one reference to its buffer <em>per reader</em>, so every event loop
 * owns exactly one reference per event and releases it when its history trims the event. The log
 * itself owns none.
 *
 * <h2>Back pressure</h2>
 * The writer may not overwrite an entry until every reader has consumed it; when the slowest reader
 * is a whole ring behind, {@link #hasCapacity(int)} is false and the sequencer stops taking events
 * from the ingest ring, which in turn stops reading publishers. Readers are event loops that never
 * block, so this only happens under bursts larger than the ring.
 *
 * <h2>Threading</h2>
 * Entry arrays and {@code writeCount} belong to the sequencer thread. {@link #publish()} is the
 * release store that makes entries below the published count visible; each reader's consumed count
 * is written only by that reader.
 */
public final class EventLog
{
    public static final byte APPEND = 1;
    public static final byte TRIM = 2;

    private final int mask;
    private final byte[] kinds;
    private final int[] topics;
    private final long[] ids;
    private final long[] trimUpToIds;
    private final ByteBuf[] buffers;
    private final int[] offsets;
    private final int[] lengths;
    private final int[] payloadLengths;
    private final long[] receivedNs;
    private final PaddedSequence published = new PaddedSequence(0);
    private final PaddedSequence headId;
    private final PaddedSequence[] consumed;

    private long writeCount;
    private long minConsumedCache;

    /**
     * @param capacity  entries, a power of two.
     * @param readers   number of event loops that consume the log.
     * @param initialHeadId the id before the first event of this run.
     */
    public EventLog(final int capacity, final int readers, final long initialHeadId)
    {
        if (Integer.bitCount(capacity) != 1 || capacity < 16)
        {
            throw new IllegalArgumentException("log.capacity must be a power of two >= 16, was " + capacity);
        }
        if (readers < 1)
        {
            throw new IllegalArgumentException("readers must be >= 1, was " + readers);
        }
        this.mask = capacity - 1;
        this.kinds = new byte[capacity];
        this.topics = new int[capacity];
        this.ids = new long[capacity];
        this.trimUpToIds = new long[capacity];
        this.buffers = new ByteBuf[capacity];
        this.offsets = new int[capacity];
        this.lengths = new int[capacity];
        this.payloadLengths = new int[capacity];
        this.receivedNs = new long[capacity];
        this.headId = new PaddedSequence(initialHeadId);
        this.consumed = new PaddedSequence[readers];
        for (int i = 0; i < readers; i++)
        {
            consumed[i] = new PaddedSequence(0);
        }
    }

    // ---------------------------------------------------------------- writer side (sequencer thread)

    /**
     * @return true when {@code entries} more entries can be written without overtaking a reader.
     */
    public boolean hasCapacity(final int entries)
    {
        final long limit = writeCount + entries - (mask + 1);
        if (limit <= minConsumedCache)
        {
            return true;
        }
        long min = Long.MAX_VALUE;
        for (final PaddedSequence sequence : consumed)
        {
            min = Math.min(min, sequence.getAcquire());
        }
        minConsumedCache = min;
        return limit <= min;
    }

    public int readers()
    {
        return consumed.length;
    }

    /**
     * Appends an event whose frame is the readable bytes of {@code frame}, a whole chunk as
     * {@link SseFrameEncoder} writes it; takes ownership of one reference to it and retains it so
     * each reader gets one. Cold path (tests and benchmarks): derives the payload length.
     *
     * @param trimUpToId after applying this event, readers drop this topic's events with id at most
     *                   this value (or nothing when below the oldest retained).
     */
    public void append(final int topic, final long id, final long trimUpToId, final ByteBuf frame)
    {
        final int readers = consumed.length;
        if (readers > 1)
        {
            frame.retain(readers - 1);
        }
        final int length = frame.readableBytes();
        append(topic, id, trimUpToId, frame, frame.readerIndex(), length, SseFrameEncoder.payloadLengthOfFrame(length),
            0);
    }

    /**
     * Appends an event whose frame is bytes {@code [offset, offset + length)} of {@code buffer}; the
     * caller hands over one reference to {@code buffer} per reader ({@link #readers()}).
     *
     * @param payloadLength length of the SSE bytes inside the frame, which start after the chunk header.
     * @param receivedNs {@link System#nanoTime()} at ingest, or 0 when not measured.
     */
    public void append(
        final int topic,
        final long id,
        final long trimUpToId,
        final ByteBuf buffer,
        final int offset,
        final int length,
        final int payloadLength,
        final long receivedNs)
    {
        final int slot = (int)(writeCount++ & mask);
        this.receivedNs[slot] = receivedNs;
        kinds[slot] = APPEND;
        topics[slot] = topic;
        ids[slot] = id;
        trimUpToIds[slot] = trimUpToId;
        buffers[slot] = buffer;
        offsets[slot] = offset;
        lengths[slot] = length;
        payloadLengths[slot] = payloadLength;
    }

    /**
     * Tells readers to drop the topic's events with id at most {@code upToId} (global budget).
     */
    public void trim(final int topic, final long upToId)
    {
        final int slot = (int)(writeCount++ & mask);
        kinds[slot] = TRIM;
        topics[slot] = topic;
        ids[slot] = upToId;
        trimUpToIds[slot] = upToId;
        buffers[slot] = null;
        receivedNs[slot] = 0;
    }

    /**
     * Makes everything appended so far visible to readers.
     *
     * @param lastId id of the newest appended event.
     */
    public void publish(final long lastId)
    {
        headId.setRelease(lastId);
        // Release: entry fields written above happen-before a reader's acquire of the count.
        published.setRelease(writeCount);
    }

    // ---------------------------------------------------------------- reader side (one event loop each)

    /**
     * @return number of entries readers may read (acquire).
     */
    public long published()
    {
        return published.getAcquire();
    }

    /**
     * @return id of the newest published event (acquire); the broker's head.
     */
    public long headId()
    {
        return headId.getAcquire();
    }

    public byte kind(final long sequence)
    {
        return kinds[(int)(sequence & mask)];
    }

    public int topic(final long sequence)
    {
        return topics[(int)(sequence & mask)];
    }

    public long id(final long sequence)
    {
        return ids[(int)(sequence & mask)];
    }

    public long trimUpToId(final long sequence)
    {
        return trimUpToIds[(int)(sequence & mask)];
    }

    /** The buffer an APPEND's frame lies in; the reader owns one reference to it. */
    public ByteBuf frameBuffer(final long sequence)
    {
        return buffers[(int)(sequence & mask)];
    }

    public int frameOffset(final long sequence)
    {
        return offsets[(int)(sequence & mask)];
    }

    public int frameLength(final long sequence)
    {
        return lengths[(int)(sequence & mask)];
    }

    /** Length of the SSE bytes of an APPEND's frame; they start {@link SseFrameEncoder#chunkHeaderLength} bytes in. */
    public int payloadLength(final long sequence)
    {
        return payloadLengths[(int)(sequence & mask)];
    }

    /**
     * @return when the event was read from its publisher's connection ({@link System#nanoTime()}), 0 when not
     *         measured.
     */
    public long receivedNs(final long sequence)
    {
        return receivedNs[(int)(sequence & mask)];
    }

    /**
     * @return how far reader {@code reader} has consumed.
     */
    public long consumed(final int reader)
    {
        return consumed[reader].getPlain();
    }

    /**
     * @return entries published but not yet consumed by {@code reader}: how far that event loop is behind
     *         the sequencer. Any thread (acquire reads; the two are read one after the other, so it is a
     *         statistic, not a snapshot).
     */
    public long lag(final int reader)
    {
        final long consumedCount = consumed[reader].getAcquire();
        return Math.max(0, published.getAcquire() - consumedCount);
    }

    /**
     * Marks entries below {@code count} consumed by {@code reader} (release): the writer may reuse them.
     */
    public void consumed(final int reader, final long count)
    {
        consumed[reader].setRelease(count);
    }
}

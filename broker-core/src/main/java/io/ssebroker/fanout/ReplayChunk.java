package io.ssebroker.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.ssebroker.codec.SseFrameEncoder;
import org.agrona.ExpandableArrayBuffer;

import java.util.Arrays;

/**
 * A run of events read back from a {@link DeepHistory}, encoded once into one buffer as the same HTTP/1.1 chunks the
 * log holds, so sinks take retained slices of it exactly as they do of the log's frames.
 * <p>
 * Besides its events a chunk says how far it is complete: for its topics no event other than its own has an id in
 * {@code (afterId, completeThroughId]}, so a cursor may move up to there, and whether the stream still held the event
 * right after {@code afterId} ({@link #reachesBack}); when it did not, events may be missing and the subscriber is
 * told {@code history-truncated}.
 *
 * <h2>Reference counting</h2>
 * The chunk owns its buffer; {@link #retainedFrame} hands out new references and {@link #release} gives back the
 * chunk's own, once. A chunk handed to several readers (a {@link DeepHistory} that shares one read among resumes from
 * the same point) is {@link #retain retained} once per extra reader, and each reader releases it once.
 * <p>
 * <b>Threading:</b> built on one thread, then handed to the event loop, which reads and releases it.
 */
public final class ReplayChunk
{
    private static final ReplayChunk FAILED = new ReplayChunk(null, new long[0], new int[1], new int[0], 0, -1, -1,
        false, true);

    private final ByteBuf frames;
    private final long[] ids;
    private final int[] starts;
    private final int[] payloadLengths;
    private final int count;
    private final long completeThroughId;
    private final long oldestId;
    private final boolean reachesBack;
    private final boolean failed;

    private ReplayChunk(
        final ByteBuf frames,
        final long[] ids,
        final int[] starts,
        final int[] payloadLengths,
        final int count,
        final long completeThroughId,
        final long oldestId,
        final boolean reachesBack,
        final boolean failed)
    {
        this.frames = frames;
        this.ids = ids;
        this.starts = starts;
        this.payloadLengths = payloadLengths;
        this.count = count;
        this.completeThroughId = completeThroughId;
        this.oldestId = oldestId;
        this.reachesBack = reachesBack;
        this.failed = failed;
    }

    /**
     * @return the chunk of a load that could not read the stream: the subscriber is told {@code history-truncated}.
     */
    public static ReplayChunk failed()
    {
        return FAILED;
    }

    public boolean isFailed()
    {
        return failed;
    }

    public int count()
    {
        return count;
    }

    public long id(final int index)
    {
        return ids[index];
    }

    /** @return a new reference to the frame of event {@code index}, owned by the caller. */
    public ByteBuf retainedFrame(final int index)
    {
        return frames.retainedSlice(starts[index], starts[index + 1] - starts[index]);
    }

    /** @return where the SSE bytes of frame {@code index} start, relative to the frame. */
    public int payloadOffset(final int index)
    {
        return SseFrameEncoder.chunkHeaderLength(payloadLengths[index]);
    }

    public int payloadLength(final int index)
    {
        return payloadLengths[index];
    }

    /** @return for the chunk's topics, no event but the chunk's own has an id above the load's afterId up to here. */
    public long completeThroughId()
    {
        return completeThroughId;
    }

    /** @return the oldest id the stream holds, for a {@code reset} notice; -1 when it holds none. */
    public long oldestId()
    {
        return oldestId;
    }

    /** @return true when the stream still held everything after the load's afterId. */
    public boolean reachesBack()
    {
        return reachesBack;
    }

    /** @return the references to the chunk's buffer still held (0 once released); for tests and diagnostics. */
    public int refCnt()
    {
        return null == frames ? 0 : frames.refCnt();
    }

    /** @return bytes of encoded frames the chunk holds. */
    public int bytes()
    {
        return null == frames ? 0 : frames.writerIndex();
    }

    /**
     * Takes another reference to the chunk for one more reader, who releases it once; nothing for a failed chunk.
     *
     * @return this chunk.
     */
    public ReplayChunk retain()
    {
        if (null != frames)
        {
            frames.retain();
        }
        return this;
    }

    /** Gives back the chunk's buffer: once per reference taken ({@link #retain}), once for its own. */
    public void release()
    {
        if (null != frames)
        {
            frames.release();
        }
    }

    /**
     * Encodes events, in id order, into one buffer from the allocator.
     * <p>
     * <b>Threading:</b> one thread.
     */
    public static final class Builder
    {
        private final SseFrameEncoder encoder = new SseFrameEncoder();
        private final ExpandableArrayBuffer scratch = new ExpandableArrayBuffer(256);
        private final ByteBuf frames;
        private long[] ids = new long[64];
        private int[] starts = new int[65];
        private int[] payloadLengths = new int[64];
        private int count;

        public Builder(final ByteBufAllocator alloc)
        {
            this.frames = alloc.buffer(4096);
        }

        /**
         * @param id    above the previous event's.
         * @param event the event name (no CR or LF), or null or empty for the default.
         */
        public Builder add(final long id, final String event, final byte[] data)
        {
            if (count > 0 && id <= ids[count - 1])
            {
                throw new IllegalArgumentException("ids must increase: " + id + " after " + ids[count - 1]);
            }
            int eventLength = 0;
            if (null != event && !event.isEmpty())
            {
                eventLength = scratch.putStringWithoutLengthUtf8(0, event);
            }
            final int dataLength = null == data ? 0 : data.length;
            if (dataLength > 0)
            {
                scratch.putBytes(eventLength, data);
            }
            final int payloadLength = SseFrameEncoder.payloadLength(id, eventLength, scratch, eventLength, dataLength);
            if (count == ids.length)
            {
                ids = Arrays.copyOf(ids, count * 2);
                starts = Arrays.copyOf(starts, count * 2 + 1);
                payloadLengths = Arrays.copyOf(payloadLengths, count * 2);
            }
            encoder.encode(frames, id, scratch, 0, eventLength, eventLength, dataLength, payloadLength);
            ids[count] = id;
            payloadLengths[count] = payloadLength;
            starts[++count] = frames.writerIndex();
            return this;
        }

        /** @return the id of the last event added, or -1. */
        public long lastId()
        {
            return 0 == count ? -1 : ids[count - 1];
        }

        /** Bytes encoded so far. */
        public int bytes()
        {
            return frames.writerIndex();
        }

        /**
         * @param completeThroughId see {@link ReplayChunk#completeThroughId()}.
         * @param oldestId          see {@link ReplayChunk#oldestId()}.
         * @param reachesBack       see {@link ReplayChunk#reachesBack()}.
         * @return the chunk, which now owns the buffer.
         */
        public ReplayChunk build(final long completeThroughId, final long oldestId, final boolean reachesBack)
        {
            return new ReplayChunk(frames, ids, starts, payloadLengths, count, completeThroughId, oldestId,
                reachesBack, false);
        }

        /** Gives back the buffer of a chunk that will not be built. */
        public void discard()
        {
            frames.release();
        }
    }

    @Override
    public String toString()
    {
        return failed ? "ReplayChunk[failed]" : "ReplayChunk[" + count + " events, complete through " +
            completeThroughId + (reachesBack ? "" : ", truncated") + "]";
    }
}

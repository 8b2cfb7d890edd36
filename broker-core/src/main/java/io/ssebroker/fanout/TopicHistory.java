package io.ssebroker.fanout;

import io.netty.buffer.ByteBuf;
import io.ssebroker.codec.SseFrameEncoder;

/**
 * One event loop's retained events of one topic, oldest first, each holding one reference to the
 * shared buffer its frame lies in (a frame is a region of a sequencer slab). Positions are absolute
 * and never reused: the entry at position {@code p} lives at {@code p & mask} while
 * {@code tail <= p < head}.
 *
 * <pre>
 *   tail (oldest retained)                                      head (next append)
 *     v                                                           v
 *   [ id,buffer,offset,length,payloadOffset,payloadLength | ... ][ free ... ]
 * </pre>
 *
 * A frame is an HTTP/1.1 chunk; {@code payloadOffset} (relative to the frame) and
 * {@code payloadLength} locate its SSE bytes, so a transport that frames them its own way (HTTP/1.0,
 * HTTP/2 DATA frames) narrows the same slice instead of scanning it.
 *
 * <h2>Reference counting</h2>
 * {@link #append} takes ownership of one reference to the buffer; {@link #trimUpTo} and
 * {@link #close} release it, one {@code release(n)} per run of trimmed frames in the same buffer.
 * Readers write {@link #retainedFrame}s and never release the history's reference.
 * <p>
 * <b>Threading:</b> confined to one event loop.
 */
final class TopicHistory
{
    private long[] ids = new long[16];
    private ByteBuf[] buffers = new ByteBuf[16];
    private int[] offsets = new int[16];
    private int[] lengths = new int[16];
    private int[] payloadOffsets = new int[16];
    private int[] payloadLengths = new int[16];
    private int mask = 15;
    private long tail;
    private long head;
    private long evictedUpToId = -1;

    long tail()
    {
        return tail;
    }

    long head()
    {
        return head;
    }

    int size()
    {
        return (int)(head - tail);
    }

    /**
     * @return id of the newest event trimmed from this history, or -1 if none was ever trimmed.
     */
    long evictedUpToId()
    {
        return evictedUpToId;
    }

    long id(final long position)
    {
        return ids[(int)(position & mask)];
    }

    /**
     * @return a new reference to the frame at {@code position} (a retained slice of its buffer),
     *         owned by the caller.
     */
    ByteBuf retainedFrame(final long position)
    {
        final int slot = (int)(position & mask);
        return buffers[slot].retainedSlice(offsets[slot], lengths[slot]);
    }

    /**
     * @return whether the frame at {@code position} starts where the one before it ends, in the same buffer: the
     *         two can leave as one slice. {@code position} must be above {@link #tail()}.
     */
    boolean followsPrevious(final long position)
    {
        final int slot = (int)(position & mask);
        final int previous = (int)((position - 1) & mask);
        return buffers[slot] == buffers[previous] && offsets[previous] + lengths[previous] == offsets[slot];
    }

    /**
     * @return a new reference to the frames at {@code from} up to {@code to} (exclusive), which lie back to back in
     *         one buffer ({@link #followsPrevious}), as one retained slice, owned by the caller.
     */
    ByteBuf retainedFrames(final long from, final long to)
    {
        final int first = (int)(from & mask);
        final int last = (int)((to - 1) & mask);
        return buffers[first].retainedSlice(offsets[first], offsets[last] + lengths[last] - offsets[first]);
    }

    /**
     * @return the length of the frame at {@code position}, chunk framing included.
     */
    int frameLength(final long position)
    {
        return lengths[(int)(position & mask)];
    }

    /**
     * @return where the SSE bytes of the frame at {@code position} start, relative to the frame.
     */
    int payloadOffset(final long position)
    {
        return payloadOffsets[(int)(position & mask)];
    }

    int payloadLength(final long position)
    {
        return payloadLengths[(int)(position & mask)];
    }

    long oldestId()
    {
        return head == tail ? -1 : ids[(int)(tail & mask)];
    }

    long newestId()
    {
        return head == tail ? -1 : ids[(int)((head - 1) & mask)];
    }

    void append(final long id, final ByteBuf buffer, final int offset, final int length, final int payloadLength)
    {
        if (head - tail == ids.length)
        {
            grow();
        }
        final int slot = (int)(head & mask);
        ids[slot] = id;
        buffers[slot] = buffer;
        offsets[slot] = offset;
        lengths[slot] = length;
        payloadOffsets[slot] = SseFrameEncoder.chunkHeaderLength(payloadLength);
        payloadLengths[slot] = payloadLength;
        head++;
    }

    /**
     * Releases every retained event with id at most {@code upToId}.
     */
    void trimUpTo(final long upToId)
    {
        final long[] ids = this.ids;
        final ByteBuf[] buffers = this.buffers;
        final int mask = this.mask;
        long tail = this.tail;
        ByteBuf run = null;
        int runLength = 0;
        while (tail < head && ids[(int)(tail & mask)] <= upToId)
        {
            final int slot = (int)(tail & mask);
            evictedUpToId = ids[slot];
            final ByteBuf buffer = buffers[slot];
            buffers[slot] = null;
            if (buffer != run)
            {
                if (null != run)
                {
                    run.release(runLength);
                }
                run = buffer;
                runLength = 0;
            }
            runLength++;
            tail++;
        }
        if (null != run)
        {
            // Consecutive events usually share a slab: one atomic decrement for the run.
            run.release(runLength);
        }
        this.tail = tail;
    }

    /**
     * @return the first position whose id is greater than {@code id} (head when none).
     */
    long positionAfter(final long id)
    {
        long lo = tail;
        long hi = head;
        while (lo < hi)
        {
            final long mid = (lo + hi) >>> 1;
            if (ids[(int)(mid & mask)] <= id)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    void close()
    {
        trimUpTo(Long.MAX_VALUE);
    }

    private void grow()
    {
        final int capacity = ids.length * 2;
        final long[] newIds = new long[capacity];
        final ByteBuf[] newBuffers = new ByteBuf[capacity];
        final int[] newOffsets = new int[capacity];
        final int[] newLengths = new int[capacity];
        final int[] newPayloadOffsets = new int[capacity];
        final int[] newPayloadLengths = new int[capacity];
        final int newMask = capacity - 1;
        for (long p = tail; p < head; p++)
        {
            final int from = (int)(p & mask);
            final int to = (int)(p & newMask);
            newIds[to] = ids[from];
            newBuffers[to] = buffers[from];
            newOffsets[to] = offsets[from];
            newLengths[to] = lengths[from];
            newPayloadOffsets[to] = payloadOffsets[from];
            newPayloadLengths[to] = payloadLengths[from];
        }
        ids = newIds;
        buffers = newBuffers;
        offsets = newOffsets;
        lengths = newLengths;
        payloadOffsets = newPayloadOffsets;
        payloadLengths = newPayloadLengths;
        mask = newMask;
    }
}

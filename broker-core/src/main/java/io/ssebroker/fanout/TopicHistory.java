package io.ssebroker.fanout;

import io.netty.buffer.ByteBuf;

/**
 * One event loop's retained events of one topic, oldest first, each holding one reference to its
 * shared frame. Positions are absolute and never reused: the entry at position {@code p} lives at
 * {@code p & mask} while {@code tail <= p < head}.
 *
 * <pre>
 *   tail (oldest retained)                 head (next append)
 *     v                                      v
 *   [ id,frame | id,frame | ... | id,frame ][ free ... ]
 * </pre>
 *
 * <h2>Reference counting</h2>
 * {@link #append} takes ownership of one reference; {@link #trimUpTo} and {@link #close} release it.
 * Readers write {@code retainedDuplicate()}s and never release the history's reference.
 * <p>
 * <b>Threading:</b> confined to one event loop.
 */
final class TopicHistory
{
    private long[] ids = new long[16];
    private ByteBuf[] frames = new ByteBuf[16];
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

    ByteBuf frame(final long position)
    {
        return frames[(int)(position & mask)];
    }

    long oldestId()
    {
        return head == tail ? -1 : ids[(int)(tail & mask)];
    }

    long newestId()
    {
        return head == tail ? -1 : ids[(int)((head - 1) & mask)];
    }

    void append(final long id, final ByteBuf frame)
    {
        if (head - tail == ids.length)
        {
            grow();
        }
        final int slot = (int)(head & mask);
        ids[slot] = id;
        frames[slot] = frame;
        head++;
    }

    /**
     * Releases every retained event with id at most {@code upToId}.
     */
    void trimUpTo(final long upToId)
    {
        final long[] ids = this.ids;
        final ByteBuf[] frames = this.frames;
        final int mask = this.mask;
        long tail = this.tail;
        while (tail < head && ids[(int)(tail & mask)] <= upToId)
        {
            final int slot = (int)(tail & mask);
            evictedUpToId = ids[slot];
            frames[slot].release();
            frames[slot] = null;
            tail++;
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
        final ByteBuf[] newFrames = new ByteBuf[capacity];
        final int newMask = capacity - 1;
        for (long p = tail; p < head; p++)
        {
            newIds[(int)(p & newMask)] = ids[(int)(p & mask)];
            newFrames[(int)(p & newMask)] = frames[(int)(p & mask)];
        }
        ids = newIds;
        frames = newFrames;
        mask = newMask;
    }
}

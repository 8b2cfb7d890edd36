package io.ssebroker.log;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.ssebroker.codec.ByteBufViews;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;

/**
 * Memory for encoded frames: each topic's frames are written back to back into that topic's current
 * <em>slab</em>, a pooled direct buffer, so the sequencer allocates once per slab instead of once per
 * event, and no per-event buffer object exists (Netty's per-buffer {@code Recycler} objects were the
 * sequencer's only allocation in steady state).
 *
 * <pre>
 *   slab of topic T:  | frame id=7 | frame id=9 | frame id=12 |   free   |
 *                     ^offset 0    ^offset 147  ^offset 294   ^position
 * </pre>
 *
 * <h2>Why per topic</h2>
 * A slab is freed when its last frame is trimmed from every event loop's history. History is trimmed
 * per topic, oldest first, so a slab holding one topic's frames is released as that topic's history
 * moves on; a slab shared by topics would be pinned by its quietest topic's oldest event. Per topic,
 * the memory beyond the retained frames' own bytes is at most the open slab's free tail and the
 * oldest slab's trimmed head: two slabs.
 *
 * <h2>Sizing</h2>
 * A topic starts <em>cold</em>: each frame gets a buffer of exactly its size, as if there were no
 * slabs, so a broker with many sparse topics holds no slack. When a slab fills within
 * {@link #HOT_BATCHES} sequencer duty cycles of being opened, the next is at least
 * {@link #MIN_SLAB_BYTES} and twice the last, up to {@link #MAX_SLAB_BYTES}; when it took longer,
 * the next is half the last, back to exact fit below the minimum. Busy topics thus amortise one
 * allocation over hundreds of events. A frame larger than half the largest slab always gets a
 * buffer of its own.
 *
 * <h2>Reference counting</h2>
 * Every frame carries one reference to its slab per event loop (see {@link EventLog#append}). Taking
 * them one event at a time would be an atomic increment per event, contended with the loops'
 * releases; instead a new slab is retained {@link #RESERVED_REFS} times up front, events take their
 * references from that reserve without touching the count, and when the sequencer stops writing to
 * the slab (full, or {@link #close()}) it gives back what no event took:
 * {@code release(RESERVED_REFS + 1 - events * readers)}. The count therefore never reaches zero while
 * the slab is open, and reaches it exactly when the last loop releases the last frame after that.
 * <p>
 * <b>Threading:</b> confined to the sequencer thread. Event loops only read frames published through
 * the {@link EventLog} and release their references.
 */
final class FrameSlabs
{
    static final int MIN_SLAB_BYTES = 1024;
    static final int MAX_SLAB_BYTES = 32 * 1024;
    static final int HOT_BATCHES = 4;
    static final int RESERVED_REFS = 1 << 28;

    private final ByteBufAllocator alloc;
    private final int readers;
    private final int maxEventsPerSlab;
    private Slab[] slabs = new Slab[64];
    private long batch;

    /** The open slab of one topic. */
    static final class Slab
    {
        final UnsafeBuffer view = new UnsafeBuffer(0, 0);
        ByteBuf buffer;
        int position;
        int events;
        /** Capacity of the next slab; 0 = exact fit for the next frame (a cold topic). */
        int nextCapacity;
        long openedInBatch;
    }

    FrameSlabs(final ByteBufAllocator alloc, final int readers)
    {
        this.alloc = alloc;
        this.readers = readers;
        this.maxEventsPerSlab = RESERVED_REFS / readers;
    }

    /**
     * Marks the start of a sequencer duty cycle (a batch, possibly empty). Slab sizing counts cycles
     * rather than reading a clock: under load a cycle takes a large batch, and under light load,
     * where cycles are short and a topic rarely fills a slab within a few of them, the cost of an
     * allocation does not matter.
     */
    void onBatch()
    {
        batch++;
    }

    /**
     * Returns the topic's open slab with at least {@code length} free bytes at its
     * {@link Slab#position}, opening a new one when needed. The caller writes the frame through
     * {@link Slab#view} (which maps the whole slab) and then calls {@link #commit}.
     */
    Slab claim(final int topic, final int length)
    {
        if (topic >= slabs.length)
        {
            slabs = Arrays.copyOf(slabs, Math.max(topic + 1, slabs.length * 2));
        }
        Slab slab = slabs[topic];
        if (null == slab)
        {
            slab = new Slab();
            slabs[topic] = slab;
        }
        if (null == slab.buffer || slab.view.capacity() - slab.position < length || slab.events == maxEventsPerSlab)
        {
            open(slab, length);
        }
        return slab;
    }

    /**
     * Records a frame of {@code length} bytes written at the slab's position; it now holds one
     * reference per reader, taken from the slab's reserve.
     */
    static void commit(final Slab slab, final int length)
    {
        slab.position += length;
        slab.events++;
    }

    /**
     * Closes every open slab, giving back the references no event took. Call once, after the last
     * event was appended.
     */
    void close()
    {
        for (final Slab slab : slabs)
        {
            if (null != slab && null != slab.buffer)
            {
                seal(slab);
            }
        }
    }

    private void open(final Slab slab, final int length)
    {
        if (null != slab.buffer)
        {
            // Adapt the next size to how fast this one filled.
            final boolean hot = batch - slab.openedInBatch < HOT_BATCHES;
            final int last = slab.view.capacity();
            if (hot)
            {
                slab.nextCapacity = Math.min(MAX_SLAB_BYTES, Math.max(MIN_SLAB_BYTES, last * 2));
            }
            else
            {
                slab.nextCapacity = last / 2 < MIN_SLAB_BYTES ? 0 : last / 2;
            }
            seal(slab);
        }
        final int capacity = length > MAX_SLAB_BYTES / 2 ? length : Math.max(length, slab.nextCapacity);
        final ByteBuf buffer = alloc.directBuffer(capacity, capacity);
        buffer.retain(RESERVED_REFS);
        slab.buffer = buffer;
        slab.position = 0;
        slab.events = 0;
        slab.openedInBatch = batch;
        ByteBufViews.wrap(slab.view, buffer, 0, capacity);
    }

    private void seal(final Slab slab)
    {
        final ByteBuf buffer = slab.buffer;
        slab.buffer = null;
        slab.view.wrap(0, 0);
        buffer.release(RESERVED_REFS + 1 - slab.events * readers);
    }
}

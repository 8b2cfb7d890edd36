package io.ssebroker.log;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameSlabsTest
{
    private static final int READERS = 3;

    @Test
    void shouldFreeSlabWhenSealedAndEveryReaderReleasedEveryFrame()
    {
        final FrameSlabs slabs = new FrameSlabs(PooledByteBufAllocator.DEFAULT, READERS);
        heatUp(slabs, READERS);
        final int offset = slabs.claim(0, 11).position;
        final ByteBuf buffer = write(slabs, 0, "first").buffer;
        assertSame(buffer, write(slabs, 0, "second").buffer, "one topic's frames share a slab");

        // Readers release their references to the first frame; the slab stays open for the sequencer.
        buffer.release(READERS);
        assertTrue(buffer.refCnt() > 0);

        slabs.close();
        assertEquals(READERS, buffer.refCnt(), "after sealing, exactly the second frame's references remain");
        final ByteBuf slice = buffer.retainedSlice(offset + 5, 6);
        assertEquals("second", slice.toString(StandardCharsets.US_ASCII));
        buffer.release(READERS);
        assertEquals(1, buffer.refCnt(), "a subscriber's slice keeps the slab alive");
        slice.release();
        assertEquals(0, buffer.refCnt());
    }

    @Test
    void shouldFreeSlabAtSealWhenReadersAlreadyReleasedEverything()
    {
        final FrameSlabs slabs = new FrameSlabs(PooledByteBufAllocator.DEFAULT, READERS);
        final ByteBuf buffer = write(slabs, 0, "only").buffer;
        buffer.release(READERS);
        slabs.close();
        assertEquals(0, buffer.refCnt());
    }

    @Test
    void shouldGiveColdTopicExactlySizedBuffers()
    {
        final FrameSlabs slabs = new FrameSlabs(PooledByteBufAllocator.DEFAULT, 1);
        final FrameSlabs.Slab slab = write(slabs, 0, "x".repeat(150));
        assertEquals(150, slab.buffer.capacity(), "a new topic holds no slack");
        slab.buffer.release();
        slabs.close();
    }

    @Test
    void shouldKeepTopicsInSeparateSlabs()
    {
        final FrameSlabs slabs = new FrameSlabs(PooledByteBufAllocator.DEFAULT, 1);
        final ByteBuf a = write(slabs, 0, "a").buffer;
        final ByteBuf b = write(slabs, 5, "b").buffer;
        assertNotSame(a, b);
        slabs.close();
        a.release();
        b.release();
        assertEquals(0, a.refCnt());
        assertEquals(0, b.refCnt());
    }

    @Test
    void shouldOpenNextSlabWhenFrameDoesNotFit()
    {
        final FrameSlabs slabs = new FrameSlabs(PooledByteBufAllocator.DEFAULT, 1);
        final String frame = "x".repeat(FrameSlabs.MIN_SLAB_BYTES / 2 + 1);
        heatUp(slabs, 1);
        final int offset = slabs.claim(0, frame.length()).position;
        final ByteBuf first = write(slabs, 0, frame).buffer;
        assertTrue(first.capacity() >= FrameSlabs.MIN_SLAB_BYTES);
        final FrameSlabs.Slab second = write(slabs, 0, frame);
        assertNotSame(first, second.buffer);
        assertEquals(1, first.refCnt(), "the full slab was sealed: only its one frame's reference remains");
        assertEquals(frame, first.toString(offset, frame.length(), StandardCharsets.US_ASCII));
        first.release();
        final ByteBuf secondBuffer = second.buffer;
        slabs.close();
        secondBuffer.release();
        assertEquals(0, secondBuffer.refCnt());
    }

    @Test
    void shouldGiveLargeFrameItsOwnExactBuffer()
    {
        final FrameSlabs slabs = new FrameSlabs(PooledByteBufAllocator.DEFAULT, 1);
        final int length = FrameSlabs.MAX_SLAB_BYTES / 2 + 1;
        final FrameSlabs.Slab slab = slabs.claim(0, length);
        assertEquals(length, slab.buffer.capacity());
        FrameSlabs.commit(slab, length);
        final ByteBuf buffer = slab.buffer;
        slabs.close();
        assertEquals(1, buffer.refCnt());
        buffer.release();
    }

    @Test
    void shouldGrowSlabsOfBusyTopicAndShrinkThemWhenItQuietens()
    {
        final FrameSlabs slabs = new FrameSlabs(PooledByteBufAllocator.DEFAULT, 1);
        final String frame = "y".repeat(100);
        int previousCapacity = 0;
        int grown = 0;
        ByteBuf current = null;
        // Busy: thousands of frames within one batch.
        for (int i = 0; i < 2000; i++)
        {
            final FrameSlabs.Slab slab = write(slabs, 0, frame);
            if (slab.buffer != current)
            {
                if (slab.buffer.capacity() > previousCapacity && null != current)
                {
                    grown++;
                }
                previousCapacity = slab.buffer.capacity();
                current = slab.buffer;
            }
            slab.buffer.release();
        }
        assertEquals(FrameSlabs.MAX_SLAB_BYTES, previousCapacity);
        assertTrue(grown >= 5, "grew " + grown + " times from " + FrameSlabs.MIN_SLAB_BYTES);

        // Quiet: one frame every 100 batches, back to exactly sized buffers.
        int lastCapacity = 0;
        for (int i = 0; i < 2000; i++)
        {
            for (int b = 0; b < 100; b++)
            {
                slabs.onBatch();
            }
            final FrameSlabs.Slab slab = write(slabs, 0, frame);
            lastCapacity = slab.buffer.capacity();
            slab.buffer.release();
        }
        assertEquals(frame.length(), lastCapacity);
        slabs.close();
    }

    /**
     * Makes topic 0 hot: two frames in one duty cycle fill its first, exactly sized buffer, so the
     * second goes into a real slab, which stays open (its frame released by the readers).
     */
    private static void heatUp(final FrameSlabs slabs, final int readers)
    {
        write(slabs, 0, "warm").buffer.release(readers);
        final FrameSlabs.Slab slab = write(slabs, 0, "warm");
        assertTrue(slab.buffer.capacity() >= FrameSlabs.MIN_SLAB_BYTES);
        slab.buffer.release(readers);
    }

    private static FrameSlabs.Slab write(final FrameSlabs slabs, final int topic, final String frame)
    {
        final byte[] bytes = frame.getBytes(StandardCharsets.US_ASCII);
        final FrameSlabs.Slab slab = slabs.claim(topic, bytes.length);
        slab.view.putBytes(slab.position, bytes);
        FrameSlabs.commit(slab, bytes.length);
        return slab;
    }
}

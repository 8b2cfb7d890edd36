package io.ssebroker.server.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.ssebroker.fanout.EvictionReason;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.metrics.MetricsRegistry;
import io.ssebroker.server.metrics.HttpMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP/1.1 sink writes frames that lie back to back in one slab as one buffer, exactly the bytes they
 * would have been one by one, holding one reference; anything else goes as it came.
 */
class SseStreamHandlerRunTest
{
    private final ByteBuf slab = PooledByteBufAllocator.DEFAULT.directBuffer(1024, 1024);
    private final SseStreamHandler handler = new SseStreamHandler(
        null, new BrokerCounters(), new HttpMetrics(new MetricsRegistry(64)), false);
    private final EmbeddedChannel channel = new EmbeddedChannel(handler);

    @AfterEach
    void release()
    {
        channel.finishAndReleaseAll();
        assertEquals(1, slab.refCnt(), "every reference the sink took is given back");
        slab.release();
    }

    @Test
    void shouldWriteConsecutiveFramesOfOneSlabAsOneBuffer()
    {
        final int a = frame("first ");
        final int b = frame("second ");
        final int c = frame("third");

        handler.writeEvent(slab.retainedSlice(0, a), 0, a);
        handler.writeEvent(slab.retainedSlice(a, b), 0, b);
        handler.writeEvent(slab.retainedSlice(a + b, c), 0, c);
        handler.endBatch();

        assertEquals(List.of("first second third"), written());
    }

    @Test
    void shouldStartANewBufferAfterAFrameThatIsNotNext()
    {
        final int a = frame("one ");
        final int skipped = frame("skipped ");
        final int c = frame("three");

        handler.writeEvent(slab.retainedSlice(0, a), 0, a);
        handler.writeEvent(slab.retainedSlice(a + skipped, c), 0, c);
        handler.endBatch();

        assertEquals(List.of("one ", "three"), written());
    }

    @Test
    void shouldNotJoinFramesOfDifferentSlabs()
    {
        final ByteBuf other = PooledByteBufAllocator.DEFAULT.directBuffer(64, 64);
        try
        {
            final int a = frame("here ");
            other.writeCharSequence("there", StandardCharsets.US_ASCII);

            handler.writeEvent(slab.retainedSlice(0, a), 0, a);
            handler.writeEvent(other.retainedSlice(0, 5), 0, 5);
            handler.endBatch();

            assertEquals(List.of("here ", "there"), written());
        }
        finally
        {
            assertEquals(1, other.refCnt());
            other.release();
        }
    }

    @Test
    void shouldKeepControlTextInOrderAfterTheRun()
    {
        final int a = frame("x");
        final int b = frame("y");
        handler.writeEvent(slab.retainedSlice(0, a), 0, a);
        handler.writeEvent(slab.retainedSlice(a, b), 0, b);
        handler.writeHeartbeat();
        handler.endBatch();

        final List<String> out = written();
        assertEquals(2, out.size(), out.toString());
        assertEquals("xy", out.get(0));
        assertTrue(out.get(1).contains(":"), "the heartbeat chunk after the run: " + out);
    }

    @Test
    void shouldCountTheQueuedRunAgainstTheWriteBound()
    {
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
        final int a = frame("0123456789");
        final int b = frame("abcdefghij");
        handler.writeEvent(slab.retainedSlice(0, a), 0, a);
        assertTrue(handler.isWritable(), "10 bytes queued, bound 16");
        handler.writeEvent(slab.retainedSlice(a, b), 0, b);
        assertFalse(handler.isWritable(), "20 bytes queued in the run, bound 16");
        handler.endBatch();
        assertEquals(List.of("0123456789abcdefghij"), written());
    }

    @Test
    void shouldDropTheQueuedRunWhenResetForBeingSlow()
    {
        final int a = frame("never sent");
        handler.writeEvent(slab.retainedSlice(0, a), 0, a);
        handler.close(EvictionReason.SLOW);
        channel.runPendingTasks();

        assertEquals(List.of(), written());
        assertFalse(channel.isOpen());
    }

    /** Appends a frame's bytes to the slab; returns its length. */
    private int frame(final String text)
    {
        return slab.writeCharSequence(text, StandardCharsets.US_ASCII);
    }

    private List<String> written()
    {
        final List<String> out = new ArrayList<>();
        ByteBuf buf;
        while (null != (buf = channel.readOutbound()))
        {
            out.add(buf.toString(StandardCharsets.US_ASCII));
            buf.release();
        }
        return out;
    }
}

package io.ssebroker.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import io.netty.buffer.PooledByteBufAllocator;
import io.ssebroker.metrics.MetricsRegistry;
import org.agrona.concurrent.status.AtomicCounter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One read shared by the resumes from the same point: while it reads, and for the share time after, with every
 * reader's reference counted and every kept chunk given back.
 */
final class SharedDeepHistoryTest
{
    private static final long SHARE_NS = 1_000_000_000L;

    private final ScriptedHistory stream = new ScriptedHistory();
    private final MetricsRegistry metrics = new MetricsRegistry();
    private final AtomicCounter shared = metrics.counter("deep_replay_shared_loads", MetricsRegistry.Kind.COUNTER);
    private long nowNs = 5_000_000_000L;
    private SharedDeepHistory history = new SharedDeepHistory(stream, () -> nowNs, SHARE_NS, 1 << 20, shared);
    private final List<ReplayChunk> received = new ArrayList<>();

    @AfterEach
    void releaseEverything()
    {
        received.forEach(ReplayChunk::release);
        history.close();
        for (final ReplayChunk chunk : stream.built)
        {
            assertEquals(0, chunk.refCnt(), "every reference to " + chunk + " given back");
        }
    }

    @Test
    void resumesFromTheSamePointWhileItReadsShareTheRead()
    {
        history.load(new String[] {"a", "b"}, 100, 1000, received::add);
        history.load(new String[] {"b", "a"}, 100, 1000, received::add); // same topics, other order
        history.load(new String[] {"a", "b"}, 100, 1000, received::add);
        assertEquals(1, stream.pending.size(), "one read");
        assertEquals(0, received.size());

        final ReplayChunk chunk = stream.answer(0, 101, 102, 103);
        assertEquals(3, received.size());
        received.forEach(each -> assertSame(chunk, each));
        assertEquals(1 + 3, chunk.refCnt(), "the table's reference and one per reader");
        assertEquals(2, shared.get());
    }

    @Test
    void aChunkServesLaterResumesUntilTheShareTimeIsOver()
    {
        history.load(new String[] {"a"}, 100, 1000, received::add);
        final ReplayChunk chunk = stream.answer(0, 101, 102);
        received.remove(0).release();

        nowNs += SHARE_NS - 1;
        history.load(new String[] {"a"}, 100, 1000, received::add);
        assertEquals(0, stream.pending.size(), "no second read within the share time");
        assertSame(chunk, received.get(0), "answered at once, from the chunk read before");
        assertEquals(1, shared.get());
        received.remove(0).release();

        nowNs += 1;
        history.load(new String[] {"a"}, 100, 1000, received::add);
        assertEquals(0, chunk.refCnt(), "expired: the table gave its reference back");
        assertEquals(1, stream.pending.size(), "read again once the share time is over");
        stream.answer(0, 101, 102);
        assertEquals(received.get(0).bytes(), history.heldBytes(), "the new read kept");
    }

    @Test
    void otherPointsReadOnTheirOwn()
    {
        history.load(new String[] {"a"}, 100, 1000, received::add);
        history.load(new String[] {"a"}, 101, 1000, received::add);
        history.load(new String[] {"a", "b"}, 100, 1000, received::add);
        history.load(new String[] {"a"}, 100, 10, received::add);
        assertEquals(4, stream.pending.size());
        for (int i = 3; i >= 0; i--)
        {
            stream.answer(i, 200);
        }
        assertEquals(4, received.size());
        assertEquals(0, shared.get());
    }

    @Test
    void aFailedReadFailsItsWaitersAndIsNotKept()
    {
        history.load(new String[] {"a"}, 100, 1000, received::add);
        history.load(new String[] {"a"}, 100, 1000, received::add);
        stream.pending.remove(0).accept(ReplayChunk.failed());
        assertEquals(2, received.size());
        received.forEach(each -> assertTrue(each.isFailed()));
        received.clear();

        history.load(new String[] {"a"}, 100, 1000, received::add);
        assertEquals(1, stream.pending.size(), "the next resume reads again");
        stream.answer(0, 101);
        assertFalse(received.get(0).isFailed());
    }

    @Test
    void aChunkPastTheByteBoundGoesToItsReadersOnly()
    {
        history = new SharedDeepHistory(stream, () -> nowNs, SHARE_NS, 64, shared);
        history.load(new String[] {"a"}, 100, 1000, received::add);
        history.load(new String[] {"a"}, 100, 1000, received::add);
        final ReplayChunk chunk = stream.answer(0, 101, 102, 103); // three frames are more than 64 bytes
        assertEquals(2, chunk.refCnt(), "one reference per reader, none kept");
        assertEquals(0, history.heldBytes());

        history.load(new String[] {"a"}, 100, 1000, received::add);
        assertEquals(1, stream.pending.size(), "not kept, so read again");
        stream.answer(0, 101);
    }

    @Test
    void closeGivesBackKeptChunksAndFailsLaterLoads()
    {
        history.load(new String[] {"a"}, 100, 1000, received::add);
        final ReplayChunk kept = stream.answer(0, 101);
        received.remove(0).release();
        history.load(new String[] {"b"}, 100, 1000, received::add); // still reading at close

        history.close();
        assertEquals(0, kept.refCnt(), "the kept chunk given back");
        assertTrue(stream.closed, "the wrapped history closed");

        final ReplayChunk late = stream.answer(0, 101);
        assertEquals(1, received.size(), "a read under way at close still reaches its reader");
        assertEquals(1, late.refCnt(), "and is not kept");

        history.load(new String[] {"a"}, 100, 1000, received::add);
        assertTrue(received.get(1).isFailed(), "loads after close fail");
        assertEquals(0, stream.pending.size());
    }

    /** A deep history answered by hand: each load waits until the test answers it. */
    private static final class ScriptedHistory implements DeepHistory, AutoCloseable
    {
        final List<Consumer<ReplayChunk>> pending = new ArrayList<>();
        final List<ReplayChunk> built = new ArrayList<>();
        boolean closed;

        @Override
        public void load(final String[] topics, final long afterId, final int maxEvents, final Consumer<ReplayChunk> done)
        {
            pending.add(done);
        }

        /** Answers pending load {@code index} with a chunk of these ids. */
        ReplayChunk answer(final int index, final long... ids)
        {
            final ReplayChunk.Builder builder = new ReplayChunk.Builder(PooledByteBufAllocator.DEFAULT);
            for (final long id : ids)
            {
                builder.add(id, null, ("event " + id).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            final ReplayChunk chunk = builder.build(ids[ids.length - 1], 1, true);
            built.add(chunk);
            pending.remove(index).accept(chunk);
            return chunk;
        }

        @Override
        public void close()
        {
            closed = true;
        }
    }
}

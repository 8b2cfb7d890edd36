package io.ssebroker.fanout;

import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;

import static io.ssebroker.fanout.EngineHarness.EPOCH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LoopFanOut} with a {@link DeepHistory}: a resume from below the loop's history is written from the deep
 * history's chunks, then the cursor joins the histories and the live stream with no gap and no duplicate; a chunk
 * that does not reach back, or a failed load, gives {@code history-truncated}; every chunk is released, whatever
 * becomes of the subscriber.
 */
class DeepReplayTest
{
    /** Events per topic the loop keeps. */
    private static final int HISTORY = 3;

    /** A stream holding what the test publishes; loads wait until the test answers them. */
    private static final class FakeStream implements DeepHistory
    {
        final TreeMap<Long, String> events = new TreeMap<>();
        final ArrayDeque<Load> pending = new ArrayDeque<>();
        final List<ReplayChunk> handedOut = new ArrayList<>();
        long oldestHeld = EPOCH;
        /** Events per chunk, below the fan-out's own maximum, to make it take several. */
        int chunkEvents = Integer.MAX_VALUE;

        record Load(long afterId, int maxEvents, Consumer<ReplayChunk> done)
        {
        }

        @Override
        public void load(final String[] topics, final long afterId, final int maxEvents, final Consumer<ReplayChunk> done)
        {
            pending.add(new Load(afterId, maxEvents, done));
        }

        /** Answers the oldest pending load from the events held. */
        void answer()
        {
            final Load load = pending.poll();
            final ReplayChunk.Builder builder = new ReplayChunk.Builder(PooledByteBufAllocator.DEFAULT);
            long through = events.isEmpty() ? load.afterId : Math.max(load.afterId, events.lastKey());
            int count = 0;
            for (final var event : events.tailMap(load.afterId, false).entrySet())
            {
                if (count == Math.min(chunkEvents, load.maxEvents))
                {
                    through = builder.lastId();
                    break;
                }
                builder.add(event.getKey(), null, event.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                count++;
            }
            final ReplayChunk chunk = builder.build(through, oldestHeld, oldestHeld <= load.afterId + 1);
            handedOut.add(chunk);
            load.done.accept(chunk);
        }

        void fail()
        {
            pending.poll().done.accept(ReplayChunk.failed());
        }
    }

    private static void publish(final EngineHarness engine, final FakeStream stream, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final long id = engine.log.headId() + 1;
            engine.publish("t", "", "v" + (id - EPOCH));
            stream.events.put(id, "v" + (id - EPOCH));
        }
    }

    private static List<Long> range(final long fromId, final long toId)
    {
        final List<Long> ids = new ArrayList<>();
        for (long id = fromId; id <= toId; id++)
        {
            ids.add(id);
        }
        return ids;
    }

    private static void assertReleased(final FakeStream stream)
    {
        for (final ReplayChunk chunk : stream.handedOut)
        {
            assertEquals(0, chunk.refCnt(), "every chunk released once its frames were handed on: " + chunk);
        }
    }

    @Test
    void shouldWriteFromTheDeepHistoryThenJoinTheHistoryAndGoLive()
    {
        try (EngineHarness engine = new EngineHarness(HISTORY, 1 << 30, false))
        {
            final FakeStream stream = new FakeStream();
            engine.fanOut.deepHistory(stream);
            publish(engine, stream, 10);
            final RecordingSink sink = new RecordingSink();
            engine.subscribe(sink, Long.toString(EPOCH + 1), "t");
            assertEquals(1, stream.pending.size(), "one load for the resume below the history");
            assertEquals(EPOCH + 1, stream.pending.peek().afterId());
            publish(engine, stream, 2); // published while loading: comes from the history afterwards

            stream.answer();

            publish(engine, stream, 1);
            assertEquals(range(EPOCH + 2, EPOCH + 12), sink.ids(), "no gap, no duplicate, then live");
            assertFalse(sink.text.toString().contains("event: reset"), sink.text.toString());
            assertTrue(sink.text.toString().startsWith("retry: "), "the preamble first");
            assertEquals(1, engine.fanOut.subscriberCount());
            assertTrue(stream.pending.isEmpty());
            assertReleased(stream);
        }
    }

    @Test
    void shouldLoadChunkAfterChunkUntilTheHistoryReachesBack()
    {
        try (EngineHarness engine = new EngineHarness(HISTORY, 1 << 30, false))
        {
            final FakeStream stream = new FakeStream();
            stream.chunkEvents = 4;
            engine.fanOut.deepHistory(stream);
            publish(engine, stream, 20);
            final RecordingSink sink = new RecordingSink();
            engine.subscribe(sink, Long.toString(EPOCH), "t");
            int loads = 0;
            while (!stream.pending.isEmpty())
            {
                stream.answer();
                loads++;
            }
            assertEquals(range(EPOCH + 1, EPOCH + 19), sink.ids());
            assertTrue(loads >= 4, "chunks of 4 over 19 events: " + loads);
            assertReleased(stream);
        }
    }

    @Test
    void shouldWaitForTheSinkToDrainBetweenChunksAndEvictItPastTheGrace()
    {
        try (EngineHarness engine = new EngineHarness(HISTORY, 1 << 30, false))
        {
            final FakeStream stream = new FakeStream();
            stream.chunkEvents = 4;
            engine.fanOut.deepHistory(stream);
            publish(engine, stream, 20);
            final RecordingSink sink = new RecordingSink();
            final SubscriberCursor cursor = engine.subscribe(sink, Long.toString(EPOCH), "t");
            sink.writable = false;
            stream.answer();
            assertTrue(stream.pending.isEmpty(), "no next chunk while the sink is full");
            assertEquals(range(EPOCH + 1, EPOCH + 4), sink.ids());

            sink.writable = true;
            engine.fanOut.onWritable(cursor, engine.nowNs);
            assertEquals(1, stream.pending.size(), "the next chunk once it drained");

            sink.writable = false;
            stream.answer();
            engine.fanOut.onTimer(System.nanoTime() + 2_000_000_000L); // the grace is 1 s; replays stall on the real clock
            assertEquals(EvictionReason.SLOW, sink.closedFor);
            assertEquals(0, engine.fanOut.subscriberCount());
            assertReleased(stream);
        }
    }

    @Test
    void shouldSayHistoryTruncatedWhenTheDeepHistoryDoesNotReachBack()
    {
        try (EngineHarness engine = new EngineHarness(HISTORY, 1 << 30, false))
        {
            final FakeStream stream = new FakeStream();
            engine.fanOut.deepHistory(stream);
            publish(engine, stream, 10);
            for (long id = EPOCH; id < EPOCH + 5; id++)
            {
                stream.events.remove(id); // aged out of the stream too
            }
            stream.oldestHeld = EPOCH + 5;
            final RecordingSink sink = new RecordingSink();
            engine.subscribe(sink, Long.toString(EPOCH + 1), "t");
            stream.answer();

            final String text = sink.text.toString();
            assertTrue(text.contains("event: reset\ndata: {\"reason\":\"history-truncated\",\"lastEventId\":\"" +
                (EPOCH + 1) + "\",\"oldestRetainedId\":\"" + (EPOCH + 5) + "\""), text);
            assertTrue(text.indexOf("event: reset") < text.indexOf("id: "), "the reset before the events");
            assertEquals(range(EPOCH + 5, EPOCH + 9), sink.ids());
            assertEquals(1, text.split("event: reset", -1).length - 1, "one reset");
            assertReleased(stream);
        }
    }

    @Test
    void shouldSayHistoryTruncatedAndServeTheHistoryWhenALoadFails()
    {
        try (EngineHarness engine = new EngineHarness(HISTORY, 1 << 30, false))
        {
            final FakeStream stream = new FakeStream();
            engine.fanOut.deepHistory(stream);
            publish(engine, stream, 10);
            final RecordingSink sink = new RecordingSink();
            engine.subscribe(sink, Long.toString(EPOCH + 1), "t");
            stream.fail();

            assertTrue(sink.text.toString().contains("\"reason\":\"history-truncated\""), sink.text.toString());
            assertEquals(range(EPOCH + 7, EPOCH + 9), sink.ids(), "what the history holds");
            publish(engine, stream, 1);
            assertEquals(EPOCH + 10, sink.ids().get(sink.ids().size() - 1), "then live");
        }
    }

    @Test
    void shouldReleaseTheChunkOfASubscriberThatLeftWhileItLoaded()
    {
        try (EngineHarness engine = new EngineHarness(HISTORY, 1 << 30, false))
        {
            final FakeStream stream = new FakeStream();
            engine.fanOut.deepHistory(stream);
            publish(engine, stream, 10);
            final RecordingSink sink = new RecordingSink();
            final SubscriberCursor cursor = engine.subscribe(sink, Long.toString(EPOCH + 1), "t");
            engine.fanOut.remove(cursor);
            assertEquals(0, engine.fanOut.subscriberCount());

            stream.answer();

            assertEquals(List.of(), sink.ids(), "nothing written after it left");
            assertEquals(0L, engine.topics.byIndex(engine.topic("t")).loopMask(), "its loop mark is gone with it");
            assertReleased(stream);
        }
    }

    @Test
    void shouldEndReplayingStreamsOnCloseAll()
    {
        try (EngineHarness engine = new EngineHarness(HISTORY, 1 << 30, false))
        {
            final FakeStream stream = new FakeStream();
            engine.fanOut.deepHistory(stream);
            publish(engine, stream, 10);
            final RecordingSink replaying = new RecordingSink();
            final RecordingSink live = new RecordingSink();
            engine.subscribe(replaying, Long.toString(EPOCH + 1), "t");
            engine.subscribe(live, null, "t");
            assertEquals(2, engine.fanOut.subscriberCount());

            engine.fanOut.closeAll(EvictionReason.SHUTDOWN);

            assertEquals(EvictionReason.SHUTDOWN, replaying.closedFor);
            assertEquals(EvictionReason.SHUTDOWN, live.closedFor);
            stream.answer();
            assertEquals(List.of(), replaying.ids());
            assertReleased(stream);
        }
    }

    @Test
    void shouldLoadAgainAtTheTimerWhileTheLoopIsBehindTheStream()
    {
        try (EngineHarness engine = new EngineHarness(HISTORY, 1 << 30, false))
        {
            final FakeStream stream = new FakeStream();
            engine.fanOut.deepHistory(stream);
            // A node that started at EPOCH + 50 and has applied up to EPOCH + 9 so far; the stream is at EPOCH + 60.
            engine.fanOut.resumeBounds(EPOCH + 50, () -> EPOCH + 60);
            publish(engine, stream, 10);
            for (long id = EPOCH + 10; id <= EPOCH + 60; id++)
            {
                stream.events.put(id, "v" + (id - EPOCH));
            }
            final RecordingSink sink = new RecordingSink();
            engine.subscribe(sink, Long.toString(EPOCH + 30), "t");
            stream.answer();
            assertTrue(stream.pending.isEmpty(), "no busy reload while nothing can be written");
            assertEquals(List.of(), sink.ids());

            engine.fanOut.onTimer(engine.nowNs);
            assertEquals(1, stream.pending.size(), "loaded again at the timer");
            publish(engine, stream, 51); // the node catches up to EPOCH + 60
            stream.answer();

            assertEquals(range(EPOCH + 31, EPOCH + 60), sink.ids());
            assertFalse(sink.text.toString().contains("event: reset"), sink.text.toString());
            publish(engine, stream, 1);
            assertEquals(EPOCH + 61, sink.ids().get(sink.ids().size() - 1), "then live");
            assertReleased(stream);
        }
    }
}

package io.ssebroker.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A sink that sends frames as encoded ({@link SubscriberSink#takesFrameRuns}) gets the frames of a batch that lie
 * back to back in one slab as one slice: the same bytes, in the same order, as a sink taking them one by one, in
 * fewer writes; writability is checked between runs.
 */
class FrameRunTest
{
    private static final int EVENTS = 50;

    @Test
    void shouldHandTheFramesOfOneSlabOverAsOneRunWithTheSameBytesAsOneByOne()
    {
        try (EngineHarness engine = new EngineHarness(1000, 1 << 30, false))
        {
            final RecordingSink runs = new RecordingSink();
            runs.takesRuns = true;
            final RecordingSink single = new RecordingSink();
            engine.subscribe(runs, null, "t");
            engine.subscribe(single, null, "t");
            publishInOneBatch(engine, "t", EVENTS);

            assertEquals(EVENTS, single.ids().size());
            assertEquals(single.text.toString(), runs.text.toString(), "the same SSE bytes");
            assertEquals(single.frames.toString(), runs.frames.toString(), "the same chunks");
            assertEquals(single.addresses, runs.addresses, "the same shared frames, not copies");
            assertEquals(EVENTS, runs.writes.stream().mapToInt(Integer::intValue).sum());
            assertTrue(runs.writes.size() < EVENTS / 4, "writes of a 50-event batch: " + runs.writes);
            assertTrue(single.writes.stream().allMatch(events -> 1 == events));
            assertEquals(single.flushes, runs.flushes, "one flush per batch either way");
        }
    }

    @Test
    void shouldCheckWritabilityBetweenRunsAndCatchUpAfterwards()
    {
        try (EngineHarness engine = new EngineHarness(1000, 1 << 30, false))
        {
            final RecordingSink runs = new RecordingSink();
            runs.takesRuns = true;
            final RecordingSink single = new RecordingSink();
            final SubscriberCursor cursor = engine.subscribe(runs, null, "t");
            engine.subscribe(single, null, "t");
            // A new topic's first frame gets a buffer of its own, the next ones share slabs: several runs.
            runs.writesUntilUnwritable = 1;
            publishInOneBatch(engine, "t", EVENTS);
            assertEquals(1, runs.writes.size(), "unwritable after the first write: " + runs.writes);
            assertTrue(runs.ids().size() < EVENTS);
            assertTrue(cursor.isStalled());

            runs.writable = true;
            engine.fanOut.onWritable(cursor, engine.nowNs);
            assertEquals(single.ids(), runs.ids(), "caught up from history, each event once, in order");
        }
    }

    @Test
    void shouldEndARunWithTheFrameThatReachesTheSinksRoom()
    {
        try (EngineHarness engine = new EngineHarness(1000, 1 << 30, false))
        {
            final RecordingSink single = new RecordingSink();
            engine.subscribe(single, null, "t");
            final RecordingSink runs = new RecordingSink();
            runs.takesRuns = true;
            final SubscriberCursor cursor = engine.subscribe(runs, null, "t");
            publishInOneBatch(engine, "t", 5);
            final long frame = runs.frameBytes / 5;
            final int written = runs.ids().size();
            // Room for two frames and a byte of the next batch: the third frame reaches it and is the last written,
            // as when frames come one at a time; the run of the slab is cut there.
            runs.roomBytes = runs.frameBytes + 2 * frame + 1;
            publishInOneBatch(engine, "t", 20);
            assertEquals(written + 3, runs.ids().size(), "writes " + runs.writes);
            assertEquals(0, runs.writableBytes());
            assertTrue(cursor.isStalled());

            runs.roomBytes = -1;
            engine.fanOut.onWritable(cursor, engine.nowNs);
            assertEquals(single.ids(), runs.ids(), "the rest from history, each once, in order");
        }
    }

    @Test
    void shouldKeepHandingFramesOneByOneToASinkWithoutRuns()
    {
        try (EngineHarness engine = new EngineHarness(1000, 1 << 30, false))
        {
            final RecordingSink single = new RecordingSink();
            engine.subscribe(single, null, "t");
            publishInOneBatch(engine, "t", EVENTS);
            assertEquals(EVENTS, single.writes.size());
        }
    }

    private static void publishInOneBatch(final EngineHarness engine, final String topicName, final int events)
    {
        final int topic = engine.topic(topicName);
        final long headBefore = engine.log.headId();
        for (int i = 0; i < events; i++)
        {
            final ByteBuf src = Unpooled.copiedBuffer(String.format("event %03d", i), StandardCharsets.UTF_8);
            engine.producer.offer(engine.session.id(), engine.session.nextSequence(), topic, src, 0, 0, 0,
                src.readableBytes());
            src.release();
        }
        engine.sequencer.doWork();
        engine.fanOut.drain(engine.nowNs);
        assertEquals(headBefore + events, engine.log.headId(), "sequenced in one batch");
    }
}

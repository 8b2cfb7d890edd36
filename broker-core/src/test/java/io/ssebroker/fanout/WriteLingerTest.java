package io.ssebroker.fanout;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.ssebroker.fanout.EngineHarness.EPOCH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The write linger ({@link LoopFanOut#writeLinger}) on a hand-driven clock and timer: a subscriber written less than
 * the linger ago is held and written once the linger is over, with everything that arrived meanwhile in one batch;
 * one quiet for longer is written at once.
 */
class WriteLingerTest
{
    private static final long MS = 1_000_000L;
    private static final long LINGER_NS = 10 * MS;

    /** Remembers what the fan-out asked to run later; the test runs it by calling {@code writeLingering}. */
    private final List<Long> scheduledDelaysNs = new ArrayList<>();
    private final LoopTimer timer = (task, delayNs) -> scheduledDelaysNs.add(delayNs);

    @Test
    void shouldWriteTheFirstEventAfterAQuietSpellAtOnceAndHoldTheNextUntilTheLingerIsOver()
    {
        try (EngineHarness engine = lingering())
        {
            final RecordingSink sink = new RecordingSink();
            engine.subscribe(sink, null, "t");
            final int flushesAfterSubscribe = sink.flushes;

            engine.nowNs += 1000 * MS;
            final long firstWriteNs = engine.nowNs;
            engine.publish("t", "", "a");
            assertEquals(List.of(EPOCH), sink.ids(), "quiet for longer than the linger: written at once");
            assertEquals(flushesAfterSubscribe + 1, sink.flushes);
            assertEquals(List.of(), scheduledDelaysNs);

            engine.nowNs += 2 * MS;
            engine.publish("t", "", "b");
            engine.nowNs += 3 * MS;
            engine.publish("t", "", "c");
            assertEquals(List.of(EPOCH), sink.ids(), "written 2 and 5 ms ago: held");
            assertEquals(List.of(8 * MS), scheduledDelaysNs, "one task, when the linger after the first write ends");

            engine.fanOut.writeLingering(firstWriteNs + LINGER_NS);
            assertEquals(List.of(EPOCH, EPOCH + 1, EPOCH + 2), sink.ids());
            assertEquals(flushesAfterSubscribe + 2, sink.flushes, "both held events in one batch");
            assertEquals(1, scheduledDelaysNs.size(), "nothing left to schedule");
        }
    }

    @Test
    void shouldHoldOnlyTheSubscribersWrittenWithinTheLinger()
    {
        try (EngineHarness engine = lingering())
        {
            final RecordingSink busy = new RecordingSink();
            final RecordingSink quiet = new RecordingSink();
            engine.subscribe(busy, null, "busy");
            engine.subscribe(quiet, null, "quiet");
            engine.nowNs += 1000 * MS;
            engine.publish("busy", "", "first");

            engine.nowNs += MS;
            engine.publishBatch("busy", "quiet");
            assertEquals(List.of(EPOCH), busy.ids(), "written 1 ms ago: held");
            assertEquals(List.of(EPOCH + 2), quiet.ids(), "never written since it subscribed 1 s ago: at once");
        }
    }

    @Test
    void shouldWriteOnlyTheSubscribersWhoseLingerIsOverAndScheduleTheRest()
    {
        try (EngineHarness engine = lingering())
        {
            final RecordingSink early = new RecordingSink();
            final RecordingSink late = new RecordingSink();
            engine.subscribe(early, null, "early");
            engine.subscribe(late, null, "late");
            engine.nowNs += 1000 * MS;
            final long earlyWriteNs = engine.nowNs;
            engine.publish("early", "", "e1");
            engine.nowNs += 6 * MS;
            final long lateWriteNs = engine.nowNs;
            engine.publish("late", "", "l1");

            engine.nowNs += MS;
            engine.publishBatch("early", "late");
            assertEquals(List.of(3 * MS), scheduledDelaysNs, "the earlier of the two lingers ends in 3 ms");

            engine.fanOut.writeLingering(earlyWriteNs + LINGER_NS);
            assertEquals(List.of(EPOCH, EPOCH + 2), early.ids());
            assertEquals(List.of(EPOCH + 1), late.ids(), "6 ms of its linger left: still held");
            assertEquals(List.of(3 * MS, 6 * MS), scheduledDelaysNs, "a task for the rest");

            engine.fanOut.writeLingering(lateWriteNs + LINGER_NS);
            assertEquals(List.of(EPOCH + 1, EPOCH + 3), late.ids());
        }
    }

    @Test
    void shouldDropAHeldSubscriberThatLeftAndKeepServingTheOthers()
    {
        try (EngineHarness engine = lingering())
        {
            final RecordingSink leaving = new RecordingSink();
            final RecordingSink staying = new RecordingSink();
            final SubscriberCursor cursor = engine.subscribe(leaving, null, "t");
            engine.subscribe(staying, null, "t");
            engine.nowNs += 1000 * MS;
            final long firstWriteNs = engine.nowNs;
            engine.publish("t", "", "a");
            engine.nowNs += MS;
            engine.publish("t", "", "b");
            engine.fanOut.remove(cursor);

            engine.fanOut.writeLingering(firstWriteNs + LINGER_NS);
            assertEquals(List.of(EPOCH), leaving.ids(), "gone before its linger ended: nothing more written");
            assertEquals(List.of(EPOCH, EPOCH + 1), staying.ids());
            assertTrue(engine.fanOut.subscriberCount() == 1);
        }
    }

    @Test
    void shouldStallAHeldSubscriberThatTurnedUnwritableAndCatchItUpWhenWritable()
    {
        try (EngineHarness engine = lingering())
        {
            final RecordingSink sink = new RecordingSink();
            final SubscriberCursor cursor = engine.subscribe(sink, null, "t");
            engine.nowNs += 1000 * MS;
            final long firstWriteNs = engine.nowNs;
            engine.publish("t", "", "a");
            engine.nowNs += MS;
            engine.publish("t", "", "b");
            sink.writable = false;

            engine.fanOut.writeLingering(firstWriteNs + LINGER_NS);
            assertEquals(List.of(EPOCH), sink.ids());
            assertTrue(cursor.isStalled(), "not writable when its linger ended: stalled like any slow subscriber");

            sink.writable = true;
            engine.fanOut.onWritable(cursor, firstWriteNs + LINGER_NS + MS);
            assertEquals(List.of(EPOCH, EPOCH + 1), sink.ids(), "back-pressure ends: written at once, not held");
        }
    }

    @Test
    void shouldEvictAHeldSubscriberThatHistoryNoLongerReaches()
    {
        try (EngineHarness engine = new EngineHarness(3, 1 << 30, false))
        {
            engine.fanOut.writeLinger(LINGER_NS, timer);
            final RecordingSink sink = new RecordingSink();
            engine.subscribe(sink, null, "t");
            engine.nowNs += 1000 * MS;
            final long firstWriteNs = engine.nowNs;
            engine.publish("t", "", "first");
            for (int i = 0; i < 5; i++)
            {
                engine.nowNs += MS / 10;
                engine.publish("t", "", "burst " + i);
            }

            engine.fanOut.writeLingering(firstWriteNs + LINGER_NS);
            assertEquals(EvictionReason.LAPPED, sink.closedFor, "5 events behind a history of 3: lapped, not skipped");
            assertEquals(List.of(EPOCH), sink.ids());
        }
    }

    @Test
    void shouldNotHoldAnythingWithoutALinger()
    {
        try (EngineHarness engine = new EngineHarness(100, 1 << 30, false))
        {
            final RecordingSink sink = new RecordingSink();
            engine.subscribe(sink, null, "t");
            engine.publish("t", "", "a");
            engine.nowNs += 1;
            engine.publish("t", "", "b");
            assertEquals(List.of(EPOCH, EPOCH + 1), sink.ids());
        }
    }

    private EngineHarness lingering()
    {
        final EngineHarness engine = new EngineHarness(100, 1 << 30, false);
        engine.fanOut.writeLinger(LINGER_NS, timer);
        return engine;
    }
}

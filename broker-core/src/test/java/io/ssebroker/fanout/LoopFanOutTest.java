package io.ssebroker.fanout;

import io.ssebroker.log.Topic;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.ssebroker.fanout.EngineHarness.EPOCH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoopFanOutTest
{
    @Test
    void shouldEncodeEachEventOnceRegardlessOfSubscriberCount()
    {
        final int[] allocations = new int[2];
        final int[] subscriberCounts = {1, 1000};
        for (int run = 0; run < subscriberCounts.length; run++)
        {
            final int subscribers = subscriberCounts[run];
            try (EngineHarness engine = new EngineHarness(100, 1 << 30, false))
            {
                final List<RecordingSink> sinks = new ArrayList<>();
                for (int i = 0; i < subscribers; i++)
                {
                    final RecordingSink sink = new RecordingSink();
                    engine.subscribe(sink, null, "t");
                    sinks.add(sink);
                }
                engine.publish("t", "", "one");
                engine.publish("t", "", "two");

                allocations[run] = engine.frameAllocations.get();
                final List<Long> addresses = sinks.get(0).addresses;
                assertNotEquals(-1L, addresses.get(0));
                assertNotEquals(addresses.get(0), addresses.get(1));
                for (final RecordingSink sink : sinks)
                {
                    assertEquals(List.of(EPOCH, EPOCH + 1), sink.ids());
                    assertEquals(addresses, sink.addresses, "every subscriber is sent the same bytes");
                }
            }
        }
        // Frames share pooled slabs, so a run allocates at most one buffer per event, and how many
        // does not depend on the number of subscribers.
        assertTrue(allocations[0] >= 1 && allocations[0] <= 2, "buffers allocated for 2 events: " + allocations[0]);
        assertEquals(allocations[0], allocations[1], "buffers allocated with 1 vs 1000 subscribers");
    }

    @Test
    void shouldFlushEachSubscriberOncePerBatch()
    {
        try (EngineHarness engine = new EngineHarness(100, 1 << 30, false))
        {
            final RecordingSink sink = new RecordingSink();
            engine.subscribe(sink, null, "t");
            final int flushesAfterSubscribe = sink.flushes;
            for (int i = 0; i < 10; i++)
            {
                final String data = "e" + i;
                final int topic = engine.topic("t");
                final io.netty.buffer.ByteBuf src = io.netty.buffer.Unpooled.copiedBuffer(data, java.nio.charset.StandardCharsets.UTF_8);
                engine.producer.offer(engine.session.id(), engine.session.nextSequence(), topic, src, 0, 0, 0, data.length());
                src.release();
            }
            engine.sequencer.doWork();
            engine.fanOut.drain(engine.nowNs);
            assertEquals(10, sink.ids().size());
            assertEquals(flushesAfterSubscribe + 1, sink.flushes);
        }
    }

    @Test
    void shouldDeliverSeveralTopicsInIdOrder()
    {
        try (EngineHarness engine = new EngineHarness(100, 1 << 30, false))
        {
            final RecordingSink sink = new RecordingSink();
            engine.subscribe(sink, null, "a", "b", "c");
            engine.publish("b", "", "1");
            engine.publish("a", "", "2");
            engine.publish("x", "", "not subscribed");
            engine.publish("c", "", "3");
            engine.publish("a", "", "4");
            assertEquals(List.of(EPOCH, EPOCH + 1, EPOCH + 3, EPOCH + 4), sink.ids());
        }
    }

    @Test
    void shouldReplayRetainedEventsAfterLastEventIdInIdOrder()
    {
        try (EngineHarness engine = new EngineHarness(100, 1 << 30, false))
        {
            for (int i = 0; i < 10; i++)
            {
                engine.publish(0 == i % 2 ? "a" : "b", "", "v" + i);
            }
            final RecordingSink sink = new RecordingSink();
            engine.subscribe(sink, Long.toString(EPOCH + 4), "a", "b");
            engine.publish("a", "", "live");
            final List<Long> expected = new ArrayList<>();
            for (long id = EPOCH + 5; id <= EPOCH + 10; id++)
            {
                expected.add(id);
            }
            assertEquals(expected, sink.ids());
            assertTrue(!sink.text.toString().contains("event: reset"));
        }
    }

    @Test
    void shouldSignalResetWhenHistoryNoLongerReachesBack()
    {
        try (EngineHarness engine = new EngineHarness(3, 1 << 30, false))
        {
            for (int i = 0; i < 10; i++)
            {
                engine.publish("t", "", "v" + i);
            }
            final RecordingSink sink = new RecordingSink();
            engine.subscribe(sink, Long.toString(EPOCH + 2), "t");
            final String text = sink.text.toString();
            assertTrue(text.contains("event: reset\ndata: {\"reason\":\"history-truncated\",\"lastEventId\":\"" +
                (EPOCH + 2) + "\",\"oldestRetainedId\":\"" + (EPOCH + 7) + "\""), text);
            assertEquals(List.of(EPOCH + 7, EPOCH + 8, EPOCH + 9), sink.ids());
        }
    }

    @Test
    void shouldSignalResetForIdFromBeforeThisRun()
    {
        assertResetReason(Long.toString(EPOCH - 500), "unknown-epoch");
    }

    @Test
    void shouldSignalResetForIdFromTheFuture()
    {
        assertResetReason(Long.toString(EPOCH + 1_000_000), "future-id");
    }

    @Test
    void shouldSignalResetForMalformedId()
    {
        assertResetReason("12abc", "malformed-id");
    }

    private static void assertResetReason(final String lastEventId, final String reason)
    {
        try (EngineHarness engine = new EngineHarness(100, 1 << 30, false))
        {
            engine.publish("t", "", "v");
            final RecordingSink sink = new RecordingSink();
            engine.subscribe(sink, lastEventId, "t");
            assertTrue(sink.text.toString().contains("\"reason\":\"" + reason + "\""), sink.text.toString());
            assertEquals(List.of(EPOCH), sink.ids(), "every retained event follows the reset");
        }
    }

    @Test
    void shouldStopAdvancingWhileUnwritableAndCatchUpFromHistory()
    {
        try (EngineHarness engine = new EngineHarness(100, 1 << 30, false))
        {
            final RecordingSink slow = new RecordingSink();
            final RecordingSink fast = new RecordingSink();
            final SubscriberCursor slowCursor = engine.subscribe(slow, null, "t");
            engine.subscribe(fast, null, "t");
            slow.writable = false;
            for (int i = 0; i < 5; i++)
            {
                engine.publish("t", "", "v" + i);
            }
            assertEquals(0, slow.ids().size());
            assertEquals(5, fast.ids().size());
            assertTrue(slowCursor.isStalled());

            slow.writable = true;
            engine.fanOut.onWritable(slowCursor, engine.nowNs);
            assertEquals(fast.ids(), slow.ids());
        }
    }

    @Test
    void shouldEvictSubscriberStalledLongerThanGrace()
    {
        try (EngineHarness engine = new EngineHarness(100, 1 << 30, false))
        {
            final RecordingSink slow = new RecordingSink();
            engine.subscribe(slow, null, "t");
            slow.writable = false;
            engine.publish("t", "", "v");
            engine.fanOut.onTimer(engine.nowNs + 500_000_000L);
            assertNull(slow.closedFor, "still within the grace period");
            engine.fanOut.onTimer(engine.nowNs + 1_500_000_000L);
            assertEquals(EvictionReason.SLOW, slow.closedFor);
            assertEquals(1, engine.fanOut.stats().evictions(EvictionReason.SLOW));
            assertEquals(0, engine.fanOut.subscriberCount());
        }
    }

    @Test
    void shouldEvictLappedSubscriberInsteadOfSkippingEvents()
    {
        try (EngineHarness engine = new EngineHarness(3, 1 << 30, false))
        {
            final RecordingSink slow = stallThroughTenEventsThenResume(engine);
            assertEquals(EvictionReason.LAPPED, slow.closedFor);
            assertEquals(List.of(), slow.ids(), "no event after a silent gap");
        }
    }

    @Test
    void shouldSkipToNewestOnConflatedTopicWhenLapped()
    {
        try (EngineHarness engine = new EngineHarness(3, 1 << 30, true))
        {
            final RecordingSink slow = stallThroughTenEventsThenResume(engine);
            assertNull(slow.closedFor);
            final List<Long> ids = slow.ids();
            assertEquals(EPOCH + 9, ids.get(ids.size() - 1), "ends on the newest value");
            assertTrue(ids.get(0) >= EPOCH + 7, "skipped what history no longer holds: " + ids);
            assertTrue(engine.fanOut.stats().conflations() >= 1);
        }
    }

    @Test
    void shouldSendHeartbeatOnIdleStream()
    {
        try (EngineHarness engine = new EngineHarness(100, 1 << 30, false))
        {
            final RecordingSink sink = new RecordingSink();
            engine.subscribe(sink, null, "t");
            final String preamble = sink.text.toString();
            engine.fanOut.onTimer(engine.nowNs + 1_000_000_000L);
            assertEquals(preamble, sink.text.toString());
            engine.fanOut.onTimer(engine.nowNs + 5_000_000_000L);
            assertEquals(preamble + ":\n\n", sink.text.toString());
        }
    }

    @Test
    void shouldTrimOldestAcrossTopicsWhenOverGlobalBudget()
    {
        try (EngineHarness engine = new EngineHarness(1000, 1 << 20, false))
        {
            final String big = "x".repeat(100_000);
            for (int i = 0; i < 30; i++)
            {
                engine.publish(0 == i % 3 ? "a" : "b", "", big);
            }
            assertTrue(engine.sequencer.writer().retainedBytes() <= 1 << 20, "retained " + engine.sequencer.writer().retainedBytes());
            final int retained = engine.fanOut.retained(engine.topic("a")) + engine.fanOut.retained(engine.topic("b"));
            assertEquals(engine.sequencer.writer().retainedEvents(), retained);
            assertTrue(retained >= 5 && retained < 30, "retained " + retained);

            // The survivors are exactly the newest events over both topics, whichever topic each is on:
            // a resume from the first id replays the last `retained` ids, and nothing older.
            final RecordingSink resumed = new RecordingSink();
            engine.subscribe(resumed, Long.toString(EPOCH), "a", "b");
            final List<Long> expected = new ArrayList<>();
            for (long id = EPOCH + 30 - retained; id < EPOCH + 30; id++)
            {
                expected.add(id);
            }
            assertEquals(expected, resumed.ids());
            assertTrue(resumed.text.toString().contains("\"oldestRetainedId\":\"" + (EPOCH + 30 - retained) + "\""),
                resumed.text.toString().lines().filter(l -> l.startsWith("data: {")).findFirst().orElse("no reset"));
        }
    }

    @Test
    void shouldMarkTheTopicsItsLoopHoldsSubscribersOf()
    {
        try (EngineHarness engine = new EngineHarness(100, 1 << 30, false))
        {
            final SubscriberCursor first = engine.subscribe(new RecordingSink(), null, "t", "u");
            final SubscriberCursor second = engine.subscribe(new RecordingSink(), null, "t");
            final Topic t = engine.topics.byIndex(engine.topic("t"));
            final Topic u = engine.topics.byIndex(engine.topic("u"));
            // Reader 0 is bit 0: the sequencer wakes this loop for events on t and u.
            assertEquals(1L, t.loopMask());
            assertEquals(1L, u.loopMask());
            engine.fanOut.remove(first);
            assertEquals(1L, t.loopMask(), "the second subscriber still holds t");
            assertEquals(0L, u.loopMask(), "nobody on this loop reads u any more");
            engine.fanOut.remove(second);
            assertEquals(0L, t.loopMask());
            assertEquals(0, t.subscribers());
        }
    }

    @Test
    void shouldMeasureLagAtTheTimerAndLatencyOfStampedEvents()
    {
        try (EngineHarness engine = new EngineHarness(100, 1 << 30, false))
        {
            final RecordingSink slow = new RecordingSink();
            final RecordingSink fast = new RecordingSink();
            final SubscriberCursor slowCursor = engine.subscribe(slow, null, "t", "u");
            engine.subscribe(fast, null, "t");
            slow.writable = false;
            engine.producer.receivedAt(System.nanoTime());
            for (int i = 0; i < 5; i++)
            {
                engine.publish("t", "", "v" + i);
            }
            engine.publish("u", "", "w");
            engine.fanOut.onTimer(engine.nowNs);
            // The slow one is behind by everything on both its topics; the fast one by nothing.
            assertEquals(6, engine.fanOut.stats().lagEvents().getMaxValue());
            assertEquals(0, engine.fanOut.stats().lagEvents().getMinValue());
            assertEquals(2, engine.fanOut.stats().lagEvents().getTotalCount());

            slow.writable = true;
            engine.fanOut.onWritable(slowCursor, engine.nowNs);
            engine.fanOut.onTimer(engine.nowNs);
            assertEquals(0, engine.fanOut.stats().lagEvents().getMaxValue());

            // One observation per event applied on this loop, however many subscribers it reached.
            final org.HdrHistogram.Histogram latency = engine.fanOut.stats().latencyIntervalUs(null);
            assertEquals(6, latency.getTotalCount());
            assertTrue(latency.getMaxValue() >= 1 && latency.getMaxValue() < FanOutStats.MAX_LATENCY_US);
            // Publishes without a stamp (receivedAt 0) are not measured.
            engine.producer.receivedAt(0);
            engine.publish("t", "", "unstamped");
            assertEquals(0, engine.fanOut.stats().latencyIntervalUs(latency).getTotalCount());
        }
    }

    @Test
    void shouldCountDeliveriesSubscribersAndEvictionsInTheRegistry()
    {
        try (EngineHarness engine = new EngineHarness(100, 1 << 30, false))
        {
            final RecordingSink a = new RecordingSink();
            final RecordingSink b = new RecordingSink();
            engine.subscribe(a, null, "t");
            final SubscriberCursor cursorB = engine.subscribe(b, null, "t");
            assertEquals(2, engine.fanOut.stats().subscribers());
            engine.publish("t", "", "one");
            engine.publish("t", "", "two");
            assertEquals(4, engine.fanOut.stats().deliveries());

            final long eventBytes = ("id: " + EPOCH + "\ndata: one\n\n").length();
            assertEquals(4 * eventBytes, engine.fanOut.stats().deliveredBytes());

            // A resume's replay is delivery too.
            engine.subscribe(new RecordingSink(), Long.toString(EPOCH - 1), "t");
            assertEquals(6, engine.fanOut.stats().deliveries());
            assertEquals(6 * eventBytes, engine.fanOut.stats().deliveredBytes());

            engine.fanOut.remove(cursorB);
            assertEquals(2, engine.fanOut.stats().subscribers());
            assertEquals(2, engine.sequencer.writer().eventsAppended());
            assertEquals(0, engine.fanOut.stats().evictions(EvictionReason.SLOW));
        }
    }

    /**
     * A subscriber on topic {@code t} that cannot take anything while ten events are published
     * (more than the history of three holds), then becomes writable again.
     */
    private static RecordingSink stallThroughTenEventsThenResume(final EngineHarness engine)
    {
        final RecordingSink slow = new RecordingSink();
        final SubscriberCursor cursor = engine.subscribe(slow, null, "t");
        slow.writable = false;
        for (int i = 0; i < 10; i++)
        {
            engine.publish("t", "", "v" + i);
        }
        slow.writable = true;
        engine.fanOut.onWritable(cursor, engine.nowNs);
        return slow;
    }
}

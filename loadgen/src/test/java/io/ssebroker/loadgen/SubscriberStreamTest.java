package io.ssebroker.loadgen;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SubscriberStreamTest
{
    private static final long S = 1_000_000_000L;

    // 10 events/s on one topic; window [origin + 1 s, origin + 3 s): events 10..29, per-topic seq 11..30.
    private final Schedule schedule = new Schedule(100 * S, 10, 1, S, 2 * S);
    private final LoopStats stats = new LoopStats();
    private final SubscriberStream stream = new SubscriberStream(0, stats, schedule, true);

    @Test
    void shouldRoundTripPayload()
    {
        final byte[] payload = new byte[Payload.MIN_BYTES];
        Payload.encode(payload, payload.length, 1234567890123456789L, 987654321098765432L);

        assertEquals(1234567890123456789L, Payload.parseSeq(payload, payload.length));
        assertEquals(987654321098765432L, Payload.parseIntendedNs(payload, payload.length));
    }

    @Test
    void shouldAccountSequencesSkippedAfterAResetApartFromGaps()
    {
        stream.onConnected(schedule.originNs());
        receive(11, 12);
        feed(stream, "event: reset\ndata: {\"reason\":\"history-truncated\"}\n\n");
        receive(20, 21);
        receive(23);
        stream.finish(schedule.windowEndNs());

        assertEquals(7, stats.get(LoopStats.GAPS_AFTER_RESET), "13..19 skipped, as the reset said");
        assertEquals(1, stats.get(LoopStats.RESETS));
        assertLossAndOrder(0, 0, 0, 1, 5);
    }

    @Test
    void shouldCountAHoleWithoutAResetAsAGap()
    {
        stream.onConnected(schedule.originNs());
        receive(11);
        receive(11 + SubscriberStream.REORDER_WINDOW + 2);
        stream.finish(schedule.windowEndNs());

        assertEquals(0, stats.get(LoopStats.GAPS_AFTER_RESET));
        assertTrue(stats.get(LoopStats.GAPS) > 0);
    }

    @Test
    void shouldCountReorderedEventsWithoutCallingThemGapsOrDuplicates()
    {
        stream.onConnected(schedule.originNs());
        receive(11, 12, 15, 13, 14, 16);
        stream.finish(schedule.windowEndNs());

        assertLossAndOrder(2, 0, 0, 0, 6);
    }

    @Test
    void shouldAcceptEventSequencedAfterTheStreamsFirstOneOnce()
    {
        stream.onConnected(schedule.originNs());
        receive(13, 12, 12, 14);
        stream.finish(schedule.windowEndNs());

        assertLossAndOrder(1, 1, 0, 0, 3);
    }

    @Test
    void shouldReportHolesOpenAtTheEndAsMissingNotAsGaps()
    {
        stream.onConnected(schedule.originNs());
        receive(11, 12, 15, 16);
        assertEquals(0, stats.get(LoopStats.GAPS), "13 and 14 may still arrive");
        stream.finish(schedule.windowEndNs());

        assertLossAndOrder(0, 0, 0, 2, 4);
    }

    @Test
    void shouldCountRepeatedSequencesAsDuplicatesAndNotDeliverThemAgain()
    {
        stream.onConnected(schedule.originNs());
        receive(11, 12, 12, 14, 14, 11);
        stream.finish(schedule.windowEndNs());

        assertLossAndOrder(0, 3, 0, 1, 3);
    }

    @Test
    void shouldWriteOffSequencesFurtherBehindThanTheReorderWindow()
    {
        stream.onConnected(schedule.originNs());
        receive(11);
        final long far = 11 + SubscriberStream.REORDER_WINDOW + 5;
        receive(far);
        // 12..16 fell out of the window at once: gaps. The rest of the holes below `far` were still
        // inside the window when the run ended.
        assertEquals(5, stats.get(LoopStats.GAPS));
        stream.finish(schedule.windowEndNs());
        assertEquals(5, stats.get(LoopStats.GAPS));
        assertEquals(far - 17, stats.get(LoopStats.MISSING_AT_END));
    }

    @Test
    void shouldRestartExpectationWithoutResumeAndCountHolesFirst()
    {
        final SubscriberStream plain = new SubscriberStream(0, stats, schedule, false);
        plain.onConnected(schedule.originNs());
        receive(plain, 11);
        receive(plain, 13);
        plain.onDisconnected(schedule.intendedNs(14));
        assertEquals(1, stats.get(LoopStats.GAPS), "12 never came before the stream ended");
        plain.onConnected(schedule.intendedNs(20));
        receive(plain, 21);
        receive(plain, 22);
        plain.finish(schedule.windowEndNs());
        assertEquals(1, stats.get(LoopStats.GAPS), "a new baseline after a reconnect without resume");
        assertEquals(0, stats.get(LoopStats.DUPLICATES));
    }

    @Test
    void shouldExpectEveryWindowEventWhileConnectedAndDeliverAll()
    {
        stream.onConnected(schedule.originNs());
        for (int seq = 1; seq <= 30; seq++)
        {
            receive(seq);
        }
        stream.finish(schedule.windowEndNs() + S);

        assertEquals(20, stats.get(LoopStats.EXPECTED));
        assertEquals(20, stats.get(LoopStats.DELIVERED));
        assertEquals(30, stats.get(LoopStats.RECEIVED));
        assertEquals(20, stats.windowHistogram().getTotalCount());
        assertEquals(0, stats.get(LoopStats.CONNECTED));
    }

    @Test
    void shouldNotExpectEventsWhileDisconnected()
    {
        stream.onConnected(schedule.originNs());
        stream.onDisconnected(schedule.intendedNs(15));
        stream.onConnected(schedule.intendedNs(20));
        stream.finish(schedule.windowEndNs());

        // Connected for events 10..14 and 20..29 of the window.
        assertEquals(15, stats.get(LoopStats.EXPECTED));
        assertEquals(1, stats.get(LoopStats.RECONNECTS));
        assertEquals(1, stats.get(LoopStats.DISCONNECTS));
    }

    @Test
    void shouldCountForeignEventsWithoutParsingThemAsOurs()
    {
        stream.onConnected(schedule.originNs());
        final ByteBuf bytes = Unpooled.copiedBuffer("event: reset\ndata: 1 2 \n\ndata: hello\n\n", StandardCharsets.US_ASCII);
        try
        {
            stream.parser().feed(bytes, 0, bytes.readableBytes(), schedule.windowStartNs());
        }
        finally
        {
            bytes.release();
        }

        assertEquals(2, stats.get(LoopStats.OTHER_EVENTS));
        assertEquals(0, stats.get(LoopStats.DELIVERED));
    }

    @Test
    void shouldPassExactCheckWhenUnionOverAllConnectionsIsThePlan()
    {
        final SubscriberStream checked = checkedStream();
        checked.onConnected(schedule.originNs());
        for (int seq = 1; seq <= 12; seq++)
        {
            receive(checked, seq);
        }
        checked.onSelfDrop(schedule.intendedNs(12));
        checked.onDisconnected(schedule.intendedNs(12));
        checked.onConnected(schedule.intendedNs(15));
        for (int seq = 13; seq <= 30; seq++)
        {
            receive(checked, seq);
        }
        assertEquals(1, stats.get(LoopStats.SETTLED), "every planned sequence is in");
        checked.finish(schedule.windowEndNs());

        assertEquals(1, stats.get(LoopStats.CHECKED));
        assertEquals(0, stats.get(LoopStats.CHECK_FAILED), stats.failures().toString());
        assertEquals(0, stats.get(LoopStats.UNION_MISSING));
    }

    @Test
    void shouldFailExactCheckOnResetEvenWithNothingMissing()
    {
        final SubscriberStream checked = checkedStream();
        checked.onConnected(schedule.originNs());
        feed(checked, "event: reset\ndata: {\"reason\":\"history-truncated\"}\n\n");
        for (int seq = 1; seq <= 30; seq++)
        {
            receive(checked, seq);
        }
        checked.finish(schedule.windowEndNs());

        assertEquals(1, stats.get(LoopStats.RESETS));
        assertEquals(0, stats.get(LoopStats.UNION_MISSING));
        assertEquals(1, stats.get(LoopStats.CHECK_FAILED));
        assertTrue(stats.failures().get(0).contains("resets 1"), stats.failures().toString());
    }

    @Test
    void shouldFailExactCheckWithEachMissingAndDuplicatedEventCounted()
    {
        final SubscriberStream checked = checkedStream();
        checked.onConnected(schedule.originNs());
        for (int seq = 1; seq <= 30; seq++)
        {
            if (11 != seq && 12 != seq)
            {
                receive(checked, seq);
            }
        }
        receive(checked, 5);
        checked.finish(schedule.windowEndNs());

        assertEquals(1, stats.get(LoopStats.CHECK_FAILED));
        assertEquals(2, stats.get(LoopStats.UNION_MISSING));
        assertEquals(1, stats.get(LoopStats.UNION_DUPLICATES));
        assertEquals(List.of("subscriber 7 (topic t0): expected 1..30, missing 2 (first 11), duplicates 1, outside 0, resets 0"),
            stats.failures());
    }

    @Test
    void shouldCountSelfDropApartFromDisconnectsAndTimeItUntilTheNextResponse()
    {
        final SubscriberStream checked = checkedStream();
        final long dropNs = schedule.intendedNs(5);
        checked.onConnected(schedule.originNs());
        checked.onSelfDrop(dropNs);
        checked.onDisconnected(dropNs);
        assertEquals(1, stats.get(LoopStats.DOWN));
        checked.onConnected(dropNs + 300_000_000L);

        assertEquals(1, stats.get(LoopStats.SELF_DROPS));
        assertEquals(0, stats.get(LoopStats.DISCONNECTS));
        assertEquals(0, stats.get(LoopStats.DOWN));
        assertEquals(1, stats.reconnectHistogram().getTotalCount());
        assertEquals(300_000, stats.reconnectHistogram().getMaxValue(), 300);
        assertEquals(dropNs + 300_000_000L - schedule.originNs(), stats.lastBackAfterOriginNs());
    }

    @Test
    void shouldFailExactCheckWhenTheRunEndsWhileDroppedStreamIsStillDown()
    {
        final SubscriberStream checked = checkedStream();
        checked.onConnected(schedule.originNs());
        for (int seq = 1; seq <= 30; seq++)
        {
            receive(checked, seq);
        }
        checked.onSelfDrop(schedule.windowEndNs());
        checked.onDisconnected(schedule.windowEndNs());
        checked.finish(schedule.windowEndNs() + S);

        assertEquals(1, stats.get(LoopStats.NOT_BACK));
        assertEquals(1, stats.get(LoopStats.CHECK_FAILED));
    }

    @Test
    void shouldResumeFirstRequestAfterStartMarkerAndLaterAfterTheLastEventReceived()
    {
        final SubscriberStream checked = checkedStream();
        assertEquals("41", checked.resumeFrom());
        assertFalse(checked.canDrop(), "not connected");
        checked.onConnected(schedule.originNs());
        assertFalse(checked.canDrop(), "no event to resume after");
        feed(checked, "id: 77\ndata: x\n\n");

        assertEquals("77", checked.resumeFrom());
        assertTrue(checked.canDrop());
    }

    private SubscriberStream checkedStream()
    {
        return new SubscriberStream(7, 0, stats, schedule, true, DropPolicy.NONE, "41", true);
    }

    private void feed(final SubscriberStream stream, final String text)
    {
        final ByteBuf bytes = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
        try
        {
            stream.parser().feed(bytes, 0, bytes.readableBytes(), schedule.windowStartNs());
        }
        finally
        {
            bytes.release();
        }
    }

    private void assertLossAndOrder(
        final long reordered, final long duplicates, final long gaps, final long missingAtEnd, final long delivered)
    {
        assertEquals(reordered, stats.get(LoopStats.REORDERED), "reordered");
        assertEquals(duplicates, stats.get(LoopStats.DUPLICATES), "duplicates");
        assertEquals(gaps, stats.get(LoopStats.GAPS), "gaps");
        assertEquals(missingAtEnd, stats.get(LoopStats.MISSING_AT_END), "missing at end");
        assertEquals(delivered, stats.get(LoopStats.DELIVERED), "delivered");
    }

    private void receive(final long... seqs)
    {
        for (final long seq : seqs)
        {
            receive(stream, seq);
        }
    }

    private void receive(final SubscriberStream stream, final long seq)
    {
        final long n = seq - 1;
        final long intendedNs = schedule.intendedNs(n);
        final byte[] payload = new byte[Payload.MIN_BYTES];
        Payload.encode(payload, payload.length, seq, intendedNs);
        final ByteBuf bytes = Unpooled.buffer();
        bytes.writeCharSequence("data: ", StandardCharsets.US_ASCII);
        bytes.writeBytes(payload);
        bytes.writeCharSequence("\n\n", StandardCharsets.US_ASCII);
        try
        {
            stream.parser().feed(bytes, 0, bytes.readableBytes(), intendedNs + 500_000);
        }
        finally
        {
            bytes.release();
        }
    }
}

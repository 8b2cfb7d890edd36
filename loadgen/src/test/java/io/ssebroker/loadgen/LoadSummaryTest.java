package io.ssebroker.loadgen;

import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoadSummaryTest
{
    @Test
    void shouldSumCountersTakeMaxLagAndAddHistogramsWhenMergingChildren()
    {
        final LoadSummary first = childSummary(100, 9_000, 10_000, 2, 5_000_000L);
        first.histogram().recordValue(100);
        final LoadSummary second = childSummary(50, 5_000, 5_000, 0, 9_000_000L);
        second.histogram().recordValue(900);
        second.histogram().recordValue(900);

        final LoadSummary total = new LoadSummary().merge(first).merge(second);

        assertEquals(150, total.counter(LoadSummary.SUBSCRIBERS));
        assertEquals(14_000, total.counter(LoadSummary.DELIVERED));
        assertEquals(15_000, total.counter(LoadSummary.EXPECTED));
        assertEquals(2, total.counter(LoadSummary.GAPS));
        assertEquals(9_000_000L, total.counter(LoadSummary.MAX_PUBLISH_LAG_NS));
        assertEquals(3, total.histogram().getTotalCount());
        assertEquals(900, total.histogram().getValueAtPercentile(50), 1);
        assertEquals(14_000.0 / 15_000.0, total.deliveryRatio(), 1e-12);
    }

    @Test
    void shouldCarryCountersAndHistogramThroughResultLine()
    {
        final LoadSummary summary = childSummary(7, 70, 77, 1, 0);
        for (int i = 1; i <= 1000; i++)
        {
            summary.histogram().recordValue(i);
        }

        final LoadSummary parsed = LoadSummary.fromLine(summary.toLine());

        assertEquals(summary.counters(), parsed.counters());
        assertEquals(summary.histogram(), parsed.histogram());
    }

    @Test
    void shouldCarryReconnectTimesAndTakeLatestDropAndReturnAcrossChildren()
    {
        final LoadSummary first = childSummary(10, 0, 0, 0, 0)
            .counter(LoadSummary.SELF_DROPS, 50).counter(LoadSummary.LAST_DROP_NS, 40_000_000_000L)
            .counter(LoadSummary.LAST_BACK_NS, 40_300_000_000L);
        first.reconnectHistogram().recordValue(300_000);
        final LoadSummary secondShare = childSummary(10, 0, 0, 0, 0)
            .counter(LoadSummary.SELF_DROPS, 50).counter(LoadSummary.LAST_DROP_NS, 41_000_000_000L)
            .counter(LoadSummary.LAST_BACK_NS, 41_250_000_000L);
        secondShare.reconnectHistogram().recordValue(900_000);
        final LoadSummary second = LoadSummary.fromLine(secondShare.toLine());

        final LoadSummary total = new LoadSummary().merge(first).merge(second);

        assertEquals(100, total.counter(LoadSummary.SELF_DROPS));
        assertEquals(2, total.reconnectHistogram().getTotalCount());
        assertEquals(900_000, total.reconnectHistogram().getMaxValue(), 1_000);
        assertEquals(250.0, total.allBackMs(), 1e-9);
    }

    @Test
    void shouldPassExactCheckOnlyWhenEverySubscriberPassedAndEveryPlannedEventWasAcknowledged()
    {
        final LoadSummary total = childSummary(10, 0, 0, 0, 0)
            .counter(LoadSummary.CHECKED, 10).counter(LoadSummary.PLANNED, 600).counter(LoadSummary.ACKED, 600);
        assertTrue(total.exactCheckPassed());

        assertFalse(total.counter(LoadSummary.ACKED, 599).exactCheckPassed(), "one event not acknowledged");
        assertFalse(total.counter(LoadSummary.ACKED, 600).counter(LoadSummary.CHECK_FAILED, 1).exactCheckPassed());
        assertFalse(total.counter(LoadSummary.CHECK_FAILED, 0).counter(LoadSummary.CHECKED, 9).exactCheckPassed(),
            "a subscriber not checked");
        assertFalse(total.counter(LoadSummary.CHECKED, 10).counter(LoadSummary.NOT_BACK, 1).exactCheckPassed());
    }

    @Test
    void shouldRejectLineWithoutResultPrefix()
    {
        assertThrows(IllegalArgumentException.class, () -> LoadSummary.fromLine("delivered=1"));
    }

    @Test
    void shouldWriteJsonWithRatioAndPercentiles()
    {
        final LoadSummary summary = childSummary(1, 10, 20, 0, 0);
        summary.histogram().recordValue(250);

        final String json = summary.toJson("run \"a\"", Map.of("rate", 100), 10.0);

        assertTrue(json.contains("\"label\": \"run \\\"a\\\"\""), json);
        assertTrue(json.contains("\"rate\": 100"), json);
        assertTrue(json.contains("\"deliveryRatio\": 0.500000"), json);
        assertTrue(json.contains("\"deliveredPerSecond\": 1.000000"), json);
        assertTrue(json.contains("\"p50\": 250"), json);
    }

    @Test
    void shouldReportNullRatioWhenNothingWasExpected()
    {
        assertTrue(new LoadSummary().toJson("idle", Map.of(), 1.0).contains("\"deliveryRatio\": null"));
    }

    private static LoadSummary childSummary(
        final long subscribers, final long delivered, final long expected, final long gaps, final long lagNs)
    {
        return new LoadSummary()
            .counter(LoadSummary.SUBSCRIBERS, subscribers)
            .counter(LoadSummary.DELIVERED, delivered)
            .counter(LoadSummary.EXPECTED, expected)
            .counter(LoadSummary.GAPS, gaps)
            .counter(LoadSummary.MAX_PUBLISH_LAG_NS, lagNs);
    }
}

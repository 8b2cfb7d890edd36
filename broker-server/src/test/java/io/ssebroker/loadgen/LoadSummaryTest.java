package io.ssebroker.loadgen;

import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

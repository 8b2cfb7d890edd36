package io.ssebroker.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.concurrent.status.AtomicCounter;
import org.junit.jupiter.api.Test;

import io.ssebroker.metrics.MetricsRegistry.Kind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MetricsRegistryTest
{
    @Test
    void shouldReportCountersAndGaugesWithTheirLabelsInRegistrationOrder()
    {
        final MetricsRegistry registry = new MetricsRegistry(8);
        final AtomicCounter delivered0 = registry.counter("events_delivered", Kind.COUNTER, "loop", "0");
        final AtomicCounter delivered1 = registry.counter("events_delivered", Kind.COUNTER, "loop", "1");
        final AtomicLong level = new AtomicLong(7);
        registry.gauge("ring_used", level::get);

        delivered0.incrementOrdered();
        delivered1.getAndAddOrdered(41);
        level.set(9);

        final List<String> seen = new ArrayList<>();
        registry.forEach((name, kind, labels, value) -> seen.add(name + " " + kind + " " + Arrays.toString(labels) + " " + value));
        assertEquals(List.of(
            "events_delivered COUNTER [loop, 0] 1",
            "events_delivered COUNTER [loop, 1] 41",
            "ring_used GAUGE [] 9"), seen);
        assertEquals(42, registry.sum("events_delivered"));
        assertEquals(0, registry.sum("no_such_metric"));
    }

    @Test
    void shouldSeeSingleWriterUpdatesFromAnotherThread() throws Exception
    {
        final MetricsRegistry registry = new MetricsRegistry(4);
        final AtomicCounter counter = registry.counter("written", Kind.COUNTER);
        final Thread writer = new Thread(() ->
        {
            for (int i = 0; i < 100_000; i++)
            {
                counter.incrementOrdered();
            }
        });
        writer.start();
        writer.join();
        assertEquals(100_000, registry.sum("written"));
    }

    @Test
    void shouldCountEveryIncrementOfSharedCountersFromManyThreads() throws Exception
    {
        final MetricsRegistry registry = new MetricsRegistry(Counter.values().length);
        final BrokerCounters counters = new BrokerCounters(registry);
        final Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++)
        {
            threads[t] = new Thread(() ->
            {
                for (int i = 0; i < 50_000; i++)
                {
                    counters.increment(Counter.HTTP_REQUESTS);
                }
            });
            threads[t].start();
        }
        for (final Thread thread : threads)
        {
            thread.join();
        }
        assertEquals(200_000, counters.get(Counter.HTTP_REQUESTS));
        assertEquals(200_000, registry.sum(Counter.HTTP_REQUESTS.metricName()));
    }

    @Test
    void shouldRefuseLabelsThatAreNotPairs()
    {
        final MetricsRegistry registry = new MetricsRegistry(4);
        assertThrows(IllegalArgumentException.class, () -> registry.counter("x", Kind.COUNTER, "loop"));
        assertThrows(IllegalArgumentException.class, () -> registry.gauge("y", () -> 0, "a", "b", "c"));
    }
}

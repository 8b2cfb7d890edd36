package io.ssebroker.server.e2e;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.ssebroker.client.IngestClient;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.ProtobufScrape;
import io.ssebroker.server.testing.SseEvent;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --flush-linger-us} through a real broker: events published a few milliseconds apart travel in batches
 * of a linger each (counted by {@code sse_log_batches_total}), every one delivered once and in order; without
 * a linger each such event is its own batch.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FlushLingerTest
{
    @Test
    void shouldGatherEventsArrivingWithinTheLingerIntoOneBatch() throws Exception
    {
        final long lingerMs = 100;
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0).eventLoops(2)
            .flushLingerUs(TimeUnit.MILLISECONDS.toMicros(lingerMs))))
        {
            final int events = 40;
            final long startNs = System.nanoTime();
            final List<Long> ids = publishSpaced(broker, "linger", events, 2);
            final long spanMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);

            final long batches = batches(broker);
            // One batch per linger at most (parks may run long, never short), plus the first after the quiet spell
            // and one spare for a spurious wake-up.
            assertTrue(batches <= spanMs / lingerMs + 3,
                batches + " batches for " + events + " events over " + spanMs + " ms with a " + lingerMs + " ms linger");
            assertTrue(batches < events / 4, batches + " batches for " + events + " events");
            assertEquals(events, ids.size());
        }
    }

    @Test
    void shouldTakeEachSpacedEventInItsOwnBatchWithoutLinger() throws Exception
    {
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0).eventLoops(2).flushLingerUs(0)))
        {
            final int events = 20;
            publishSpaced(broker, "no-linger", events, 20);
            final long batches = batches(broker);
            assertTrue(batches >= events * 3 / 4, batches + " batches for " + events + " events 20 ms apart");
        }
    }

    /**
     * Publishes {@code events} to one topic {@code gapMs} apart without waiting for the acknowledgements, and checks
     * that a subscriber gets each once, in order, with the acknowledged id.
     *
     * @return the acknowledged ids.
     */
    private static List<Long> publishSpaced(final Broker broker, final String topic, final int events, final long gapMs)
        throws Exception
    {
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=" + topic);
            IngestClient client = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "linger-test"))
        {
            final List<CompletableFuture<Long>> acks = new ArrayList<>();
            for (int i = 0; i < events; i++)
            {
                acks.add(client.publish(topic, null, ("event " + i).getBytes(StandardCharsets.UTF_8)));
                Thread.sleep(gapMs);
            }
            final List<Long> ids = new ArrayList<>();
            for (int i = 0; i < events; i++)
            {
                final long id = acks.get(i).get(20, TimeUnit.SECONDS);
                ids.add(id);
                assertEquals(new SseEvent(Long.toString(id), null, "event " + i), stream.nextEvent());
            }
            return ids;
        }
    }

    private static long batches(final Broker broker) throws Exception
    {
        return (long)ProtobufScrape.of(broker.httpPort()).value("sse_log_batches_total");
    }
}

package io.ssebroker.server.engine;

import io.ssebroker.client.IngestClient;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Invariant 6: a publisher that outruns the broker is slowed down, never dropped. The sequencer is
 * paused so the (small) ingest ring fills; the broker must stop reading the publisher instead of
 * failing its frames, and once sequencing resumes every acknowledged event reaches the subscriber,
 * in order.
 */
class IngestBackPressureTest
{
    private static final int EVENTS = 5000;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void shouldBackPressurePublisherAndDeliverEveryAcknowledgedEvent() throws Exception
    {
        final BrokerConfig config = BrokerConfig.defaults()
            .httpPort(0)
            .ingestPort(0)
            .ingestRingBytes(64 * 1024)
            .historyCount(EVENTS)
            .maxDataBytes(2048)
            .maxInFlight(1024);
        final ExecutorService publisherThread = Executors.newSingleThreadExecutor();
        try (Broker broker = Broker.start(config);
            SseStreams streams = new SseStreams();
            IngestClient publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), null, "flood"))
        {
            final SseStreams.Stream subscriber = streams.open(broker.httpPort(), "/events?topic=flood");
            Await.until("subscriber registered", () -> broker.subscribers() == 1, Duration.ofSeconds(10));

            broker.pauseSequencing();
            final byte[] payload = "p".repeat(1000).getBytes(StandardCharsets.UTF_8);
            final Future<List<CompletableFuture<Long>>> published = publisherThread.submit(() ->
            {
                final List<CompletableFuture<Long>> acks = new ArrayList<>();
                for (int i = 0; i < EVENTS; i++)
                {
                    acks.add(publisher.publish("flood", null, payload));
                }
                return acks;
            });

            Await.until(
                "broker stops reading the publisher while the ring is full",
                () -> broker.counters().get(Counter.INGEST_BACK_PRESSURE) > 0,
                Duration.ofSeconds(20));
            assertEquals(0, broker.logWriter().eventsAppended());
            assertTrue(!published.isDone(), "the publisher is held back, not failed");

            broker.resumeSequencing();
            final List<CompletableFuture<Long>> acks = published.get(60, TimeUnit.SECONDS);
            long previous = 0;
            for (final CompletableFuture<Long> ack : acks)
            {
                final long id = ack.get(30, TimeUnit.SECONDS);
                assertTrue(id > previous);
                previous = id;
            }
            final long lastAcked = previous;
            Await.until("subscriber received the last acknowledged event", () -> subscriber.lastId == lastAcked, Duration.ofSeconds(30));
            assertEquals(EVENTS, subscriber.events.get());
            assertNull(subscriber.orderViolation);
            assertEquals(0, broker.counters().get(Counter.INGEST_REJECTED));
            assertEquals(0, broker.counters().get(Counter.INGEST_PROTOCOL_ERRORS));
        }
        finally
        {
            publisherThread.shutdownNow();
        }
    }
}

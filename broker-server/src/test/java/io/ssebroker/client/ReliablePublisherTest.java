package io.ssebroker.client;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.CuttableProxy;
import io.ssebroker.server.testing.RawHttp;
import io.ssebroker.server.testing.SseEvent;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A publisher behind a link that is cut at random points keeps publishing; its connection is reset
 * at least 20 times during a 100,000-event run, it reconnects and resends, and the subscriber
 * receives every event exactly once, in the publisher's order, with the ids the publisher was given.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReliablePublisherTest
{
    private static final int EVENTS = 100_000;
    private static final int CUTS = 25;
    private static final String TOPIC = "flaky-link";

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();

    @Test
    void shouldDeliverEveryEventExactlyOnceInOrderAcrossCutConnections() throws Exception
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        final List<Long> cutPoints = new ArrayList<>();
        for (int i = 0; i < CUTS; i++)
        {
            cutPoints.add(1_000L + random.nextInt(EVENTS - 2_000));
        }
        cutPoints.sort(null);

        final AtomicReference<Throwable> subscriberFailure = new AtomicReference<>();
        final List<SseEvent> received = new ArrayList<>(EVENTS);
        try (CuttableProxy link = new CuttableProxy(broker.ingestPort());
             SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=" + TOPIC))
        {
            final Thread subscriber = new Thread(() ->
            {
                try
                {
                    while (received.size() < EVENTS + 1)
                    {
                        received.add(stream.nextEvent());
                    }
                }
                catch (final Throwable ex)
                {
                    subscriberFailure.set(ex);
                }
            }, "subscriber");
            subscriber.start();

            final AtomicLong published = new AtomicLong();
            final AtomicInteger cuts = new AtomicInteger();
            final Thread cutter = new Thread(() ->
            {
                for (final long point : cutPoints)
                {
                    while (published.get() < point)
                    {
                        Thread.onSpinWait();
                    }
                    // Cut only a link the client has opened since the last cut, so every point resets
                    // a connection that carried publishes: each cut is one reconnect.
                    while (link.accepted() <= cuts.get())
                    {
                        Thread.onSpinWait();
                    }
                    while (0 == link.cut())
                    {
                        Thread.onSpinWait();
                    }
                    cuts.incrementAndGet();
                }
            }, "cutter");
            cutter.setDaemon(true);
            cutter.start();

            final List<CompletableFuture<Long>> futures = new ArrayList<>(EVENTS);
            final long reconnects;
            try (ReliablePublisher publisher = ReliablePublisher.connect(new IngestClient.Context()
                .port(link.port())
                .publisherId("flaky-" + seed)))
            {
                for (int i = 1; i <= EVENTS; i++)
                {
                    futures.add(publisher.publish(TOPIC, null, ("e-" + i).getBytes(StandardCharsets.UTF_8)));
                    published.set(i);
                }
                cutter.join(TimeUnit.SECONDS.toMillis(60));
                for (final CompletableFuture<Long> future : futures)
                {
                    future.get(60, TimeUnit.SECONDS);
                }
                reconnects = publisher.reconnects();
            }
            assertEquals(CUTS, cuts.get(), "seed " + seed);
            // Each cut reset a connection opened after the previous cut; a cut can also land on a
            // reconnect's handshake, which the client retries, so count connections, not reconnects.
            assertTrue(link.accepted() > CUTS, "connections " + link.accepted() + ", reconnects " + reconnects +
                "; seed " + seed);

            final long marker = RawHttp.publish(broker.httpPort(), TOPIC, "marker");
            subscriber.join(TimeUnit.SECONDS.toMillis(60));
            assertNull(subscriberFailure.get(), "subscriber failed; seed " + seed);

            long previousId = 0;
            for (int i = 1; i <= EVENTS; i++)
            {
                final SseEvent event = received.get(i - 1);
                assertEquals("e-" + i, event.data(), "event " + i + " exactly once, in order; seed " + seed);
                assertEquals((long)futures.get(i - 1).get(), event.idAsLong(), "the id the publisher was given");
                assertTrue(event.idAsLong() > previousId, "ids increase; seed " + seed);
                previousId = event.idAsLong();
            }
            assertEquals("marker", received.get(EVENTS).data(), "nothing delivered twice before the marker");
            assertEquals(marker, received.get(EVENTS).idAsLong());
        }
    }
}

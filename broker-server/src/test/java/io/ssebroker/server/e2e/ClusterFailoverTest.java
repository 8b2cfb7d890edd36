package io.ssebroker.server.e2e;

import io.ssebroker.client.IngestClient;
import io.ssebroker.client.ReliablePublisher;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.NatsServer;
import io.ssebroker.server.testing.NodeProcess;
import io.ssebroker.server.testing.SseEvent;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code kill -9} of one of two cluster nodes, each its own process on one nats-server, while a publisher and a
 * subscriber use it: the publisher (given both nodes) fails over and resends with its publisher id and sequences,
 * the subscriber reconnects to the other node with {@code Last-Event-ID}, and every acknowledged event reaches the
 * subscriber exactly once, in id order, and in publish order.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusterFailoverTest
{
    private static final String TOPIC = "failover";
    private static final int EVENTS = 3000;
    private static final int KILL_AT = 1000;

    @Test
    void shouldDeliverEveryAcknowledgedEventOnceAfterANodeIsKilled() throws Exception
    {
        try (NatsServer nats = NatsServer.start();
            NodeProcess first = NodeProcess.start(nats.url(), "cluster-failover-node-a");
            NodeProcess second = NodeProcess.start(nats.url(), "cluster-failover-node-b"))
        {
            final int[] http = {first.httpPort(), second.httpPort()};
            final int[] ingest = {first.ingestPort(), second.ingestPort()};
            final List<SseEvent> received = new ArrayList<>();
            final CountDownLatch subscribed = new CountDownLatch(1);
            final List<String> streams = java.util.Collections.synchronizedList(new ArrayList<>());
            final Thread subscriber = new Thread(() -> subscribe(http, received, subscribed, streams),
                "failover-subscriber");
            subscriber.setDaemon(true);
            subscriber.start();
            assertTrue(subscribed.await(30, TimeUnit.SECONDS), "the subscriber's first stream opened");

            final List<CompletableFuture<Long>> acks = new ArrayList<>();
            try (ReliablePublisher publisher = ReliablePublisher.connect(
                new IngestClient.Context().publisherId("failover-test").publishTimeoutMs(60_000),
                List.of(new InetSocketAddress("127.0.0.1", ingest[0]), new InetSocketAddress("127.0.0.1", ingest[1]))))
            {
                for (int i = 0; i < EVENTS; i++)
                {
                    if (KILL_AT == i)
                    {
                        // Kill once the subscriber holds an id to resume from: a client that received nothing
                        // has no Last-Event-ID and rightly starts at the live edge, which is not the case tested.
                        Await.until("the subscriber received events from the first node",
                            () -> size(received) >= KILL_AT / 2, java.time.Duration.ofSeconds(30));
                        first.kill();
                    }
                    acks.add(publisher.publish(TOPIC, "", ("f" + i).getBytes(StandardCharsets.UTF_8)));
                    if (0 == i % 20)
                    {
                        Thread.sleep(1);
                    }
                }
                final List<Long> ids = new ArrayList<>();
                for (final CompletableFuture<Long> ack : acks)
                {
                    ids.add(ack.get(60, TimeUnit.SECONDS));
                }
                assertTrue(publisher.reconnects() >= 1, "the publisher failed over");

                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (size(received) < EVENTS && System.nanoTime() - deadlineNs < 0)
                {
                    Thread.sleep(20);
                }
                final List<SseEvent> events;
                synchronized (received)
                {
                    events = new ArrayList<>(received);
                }
                assertEquals(EVENTS, events.size(), "events delivered; the subscriber's streams: " + streams +
                    (events.isEmpty() ? "" : ", last event " + events.get(events.size() - 1)) +
                    ", last acknowledged id " + ids.get(EVENTS - 1));
                for (int i = 0; i < EVENTS; i++)
                {
                    final SseEvent event = events.get(i);
                    assertNull(event.event(), "no reset expected, got " + event);
                    assertEquals("f" + i, event.data(), "publish order, no gap, no duplicate");
                    assertEquals((long)ids.get(i), event.idAsLong(), "the acknowledged id");
                }
            }
        }
    }

    /** Follows the topic, moving to the other node with the last id seen whenever a stream ends. */
    private static void subscribe(
        final int[] httpPorts, final List<SseEvent> received, final CountDownLatch subscribed, final List<String> streams)
    {
        String lastId = null;
        int node = 0;
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
        while (size(received) < EVENTS && System.nanoTime() - deadlineNs < 0)
        {
            try (SseStream stream = null == lastId ?
                SseStream.open(httpPorts[node], "/events?topic=" + TOPIC) :
                SseStream.open(httpPorts[node], "/events?topic=" + TOPIC, "Last-Event-ID: " + lastId))
            {
                subscribed.countDown(); // the head and preamble are in: the subscription is registered
                while (size(received) < EVENTS)
                {
                    final SseEvent event = stream.nextEvent();
                    synchronized (received)
                    {
                        received.add(event);
                    }
                    lastId = event.id();
                }
            }
            catch (final Exception | AssertionError ended)
            {
                streams.add("node " + node + " after " + lastId + " at " + size(received) + ": " + ended);
                node = 1 - node;
            }
        }
    }

    private static int size(final List<SseEvent> received)
    {
        synchronized (received)
        {
            return received.size();
        }
    }
}

package io.ssebroker.server.e2e;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.ssebroker.client.IngestClient;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.NatsServer;
import io.ssebroker.server.testing.NodeProcess;
import io.ssebroker.server.testing.SseEvent;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stalled node does not hold up the others. Node B, its own process, is frozen with {@code SIGSTOP} (every thread
 * of it, event loops and stream consumer alike, stops where it is, as in a long GC pause or a starved VM) while a
 * publisher on node A goes on: A acknowledges every publish, delivers every event to its subscriber and stays ready
 * while B is frozen. Once resumed, B catches up from the stream and its subscriber gets every event once, in order,
 * with the same ids.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusterSlowNodeTest
{
    private static final String TOPIC = "slow-node";
    private static final int WARM = 200;
    private static final int WHILE_FROZEN = 5_000;
    /** Publishes go out in batches of this many, one batch every 100 ms: B stays frozen about five seconds. */
    private static final int BATCH = 100;
    private static final byte[] PADDING = new byte[400];

    static
    {
        Arrays.fill(PADDING, (byte)'x');
    }

    @Test
    void shouldServeEveryEventOnTheOtherNodeWhileOneIsFrozenAndCatchUpAfter() throws Exception
    {
        try (NatsServer nats = NatsServer.start();
            NodeProcess nodeA = NodeProcess.start(nats.url(), "cluster-slow-node-a");
            NodeProcess nodeB = NodeProcess.start(nats.url(), "cluster-slow-node-b");
            SseStream streamA = SseStream.open(nodeA.httpPort(), "/events?topic=" + TOPIC);
            SseStream streamB = SseStream.open(nodeB.httpPort(), "/events?topic=" + TOPIC);
            IngestClient publisher = IngestClient.connect("127.0.0.1", nodeA.ingestPort(), "", "slow-node-test"))
        {
            final List<SseEvent> onA = new ArrayList<>();
            final List<SseEvent> onB = new ArrayList<>();
            startReader(streamA, onA, "reader-a");
            startReader(streamB, onB, "reader-b");
            final List<Long> ids = new ArrayList<>();

            publish(publisher, 0, WARM, ids);
            Await.until("both nodes delivered the first events", () -> size(onA) == WARM && size(onB) == WARM,
                Duration.ofSeconds(30));

            nodeB.freeze();
            try
            {
                final long startNs = System.nanoTime();
                long slowestBatchNs = 0;
                for (int from = WARM; from < WARM + WHILE_FROZEN; from += BATCH)
                {
                    final long batchNs = System.nanoTime();
                    publish(publisher, from, BATCH, ids);
                    slowestBatchNs = Math.max(slowestBatchNs, System.nanoTime() - batchNs);
                    Thread.sleep(100);
                }
                Await.until(() -> "node A to deliver everything while B is frozen; it has " + size(onA),
                    () -> size(onA) == WARM + WHILE_FROZEN, Duration.ofSeconds(60));
                final long deliveredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
                System.out.println("while node B was frozen: " + WHILE_FROZEN + " publishes in batches of " + BATCH +
                    ", slowest batch acknowledged by node A in " + TimeUnit.NANOSECONDS.toMillis(slowestBatchNs) +
                    " ms, all delivered by node A " + deliveredMs + " ms after the first");
                assertTrue(nodeA.isReady(), "node A stays ready while B is frozen");
                assertEquals(WARM, size(onB), "node B delivered nothing while frozen (the premise of the test)");
            }
            finally
            {
                nodeB.resume();
            }

            final long resumedNs = System.nanoTime();
            Await.until(() -> "node B to catch up after it resumed; it has " + size(onB),
                () -> size(onB) == WARM + WHILE_FROZEN, Duration.ofSeconds(60));
            System.out.println("node B delivered the " + WHILE_FROZEN + " events it missed " +
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - resumedNs) + " ms after it resumed");
            Await.until("node B ready again", nodeB::isReady, Duration.ofSeconds(30));
            assertInOrder("node A", onA, ids);
            assertInOrder("node B", onB, ids);
        }
    }

    private static void publish(final IngestClient publisher, final int from, final int count, final List<Long> ids)
        throws Exception
    {
        final List<CompletableFuture<Long>> acks = new ArrayList<>(count);
        for (int i = from; i < from + count; i++)
        {
            final byte[] data = (i + ":" + new String(PADDING, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.UTF_8);
            acks.add(publisher.publish(TOPIC, "", data));
        }
        for (final CompletableFuture<Long> ack : acks)
        {
            ids.add(ack.get(30, TimeUnit.SECONDS));
        }
    }

    private static void assertInOrder(final String node, final List<SseEvent> received, final List<Long> ids)
    {
        final List<SseEvent> events;
        synchronized (received)
        {
            events = new ArrayList<>(received);
        }
        assertEquals(ids.size(), events.size(), node + ": events delivered");
        for (int i = 0; i < ids.size(); i++)
        {
            final SseEvent event = events.get(i);
            assertNull(event.event(), node + ": no reset expected, got " + event);
            assertTrue(event.data().startsWith(i + ":"), node + ": publish order, no gap, no duplicate at " + i);
            assertEquals((long)ids.get(i), event.idAsLong(), node + ": the acknowledged id at " + i);
        }
    }

    private static void startReader(final SseStream stream, final List<SseEvent> received, final String name)
        throws java.net.SocketException
    {
        // Node B sends nothing while frozen: longer than the helper's 10 s read timeout.
        stream.connection().socket().setSoTimeout(120_000);
        final Thread reader = new Thread(() ->
        {
            try
            {
                while (true)
                {
                    final SseEvent event = stream.nextEvent();
                    synchronized (received)
                    {
                        received.add(event);
                    }
                }
            }
            catch (final Exception | AssertionError ended)
            {
                // the stream closed at the end of the test, or failed: the counts above tell
            }
        }, name);
        reader.setDaemon(true);
        reader.start();
    }

    private static int size(final List<SseEvent> received)
    {
        synchronized (received)
        {
            return received.size();
        }
    }
}

package io.ssebroker.server.e2e;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.ssebroker.client.IngestClient;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.SseEvent;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stream on several topics sees their events merged in id order while several publishers publish
 * to all of them at once: the ids the publishers were acknowledged with, each exactly once, strictly
 * increasing, each with its own data.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MultiTopicOrderingTest
{
    private static final String[] TOPICS = {"order-a", "order-b", "order-c"};
    private static final int PUBLISHERS = 3;
    private static final int EVENTS_PER_PUBLISHER = 400;

    private Broker broker;

    @BeforeEach
    void startBroker() throws InterruptedException
    {
        broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0).eventLoops(2));
    }

    @AfterEach
    void stopBroker()
    {
        broker.close();
    }

    @Test
    void shouldMergeTopicsInStrictIdOrderWhilePublishersRunConcurrently() throws Exception
    {
        try (SseStream all = SseStream.open(broker.httpPort(), "/events?topic=order-a&topic=order-b&topic=order-c"))
        {
            final Map<Long, String> published = publishConcurrently();

            final List<SseEvent> received = new ArrayList<>();
            for (int i = 0; i < published.size(); i++)
            {
                received.add(all.nextEvent());
            }
            long previous = -1;
            for (final SseEvent event : received)
            {
                assertTrue(event.idAsLong() > previous, "ids must strictly increase: " + previous + " then " + event.id());
                previous = event.idAsLong();
            }
            assertEquals(expectedEvents(published, null), received);
        }
    }

    @Test
    void shouldDeliverOnlySubscribedTopicsOfConcurrentPublishers() throws Exception
    {
        try (SseStream onlyB = SseStream.open(broker.httpPort(), "/events?topic=order-b");
            SseStream aAndC = SseStream.open(broker.httpPort(), "/events?topic=order-c&topic=order-a"))
        {
            final Map<Long, String> published = publishConcurrently();

            final List<SseEvent> expectedB = expectedEvents(published, "order-b");
            final List<SseEvent> receivedB = new ArrayList<>();
            for (int i = 0; i < expectedB.size(); i++)
            {
                receivedB.add(onlyB.nextEvent());
            }
            assertEquals(expectedB, receivedB);

            final List<SseEvent> expectedAc = expectedEvents(published, "order-a");
            expectedAc.addAll(expectedEvents(published, "order-c"));
            expectedAc.sort((x, y) -> Long.compare(x.idAsLong(), y.idAsLong()));
            final List<SseEvent> receivedAc = new ArrayList<>();
            for (int i = 0; i < expectedAc.size(); i++)
            {
                receivedAc.add(aAndC.nextEvent());
            }
            assertEquals(expectedAc, receivedAc);
        }
    }

    /**
     * Runs the publishers on their own threads, each cycling through the topics, and returns what the
     * broker acknowledged: event id to data (the data names the topic).
     */
    private Map<Long, String> publishConcurrently() throws Exception
    {
        final Map<Long, String> published = new ConcurrentHashMap<>();
        final CountDownLatch start = new CountDownLatch(1);
        final List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int p = 0; p < PUBLISHERS; p++)
        {
            final int publisherIndex = p;
            final CompletableFuture<Void> finished = new CompletableFuture<>();
            done.add(finished);
            final Thread thread = new Thread(() ->
            {
                try (IngestClient client = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "p" + publisherIndex))
                {
                    start.await();
                    final List<CompletableFuture<Long>> ids = new ArrayList<>();
                    final List<String> datas = new ArrayList<>();
                    for (int i = 0; i < EVENTS_PER_PUBLISHER; i++)
                    {
                        final String topic = TOPICS[(i + publisherIndex) % TOPICS.length];
                        final String data = topic + " p" + publisherIndex + " #" + i;
                        datas.add(data);
                        ids.add(client.publish(topic, null, data.getBytes(StandardCharsets.UTF_8)));
                    }
                    for (int i = 0; i < ids.size(); i++)
                    {
                        published.put(ids.get(i).get(20, TimeUnit.SECONDS), datas.get(i));
                    }
                    finished.complete(null);
                }
                catch (final Throwable ex)
                {
                    finished.completeExceptionally(ex);
                }
            }, "publisher-" + p);
            thread.setDaemon(true);
            thread.start();
        }
        start.countDown();
        CompletableFuture.allOf(done.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
        assertEquals(PUBLISHERS * EVENTS_PER_PUBLISHER, published.size(), "distinct ids acknowledged");
        return published;
    }

    private static List<SseEvent> expectedEvents(final Map<Long, String> published, final String topic)
    {
        final List<SseEvent> expected = new ArrayList<>();
        for (final Map.Entry<Long, String> entry : new TreeMap<>(published).entrySet())
        {
            if (null == topic || entry.getValue().startsWith(topic + " "))
            {
                expected.add(new SseEvent(Long.toString(entry.getKey()), null, entry.getValue()));
            }
        }
        return expected;
    }
}

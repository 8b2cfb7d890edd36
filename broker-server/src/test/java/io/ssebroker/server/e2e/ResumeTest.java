package io.ssebroker.server.e2e;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.ssebroker.client.IngestClient;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.ChunkScanner;
import io.ssebroker.server.testing.JdkHttp;
import io.ssebroker.server.testing.RawHttpConnection;
import io.ssebroker.server.testing.SseEvent;
import io.ssebroker.server.testing.SseStream;
import io.ssebroker.server.testing.SseText;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resuming with {@code Last-Event-ID}: a client that keeps dropping its connection at random points
 * and reconnecting with the last id it saw receives, over all its connections together, exactly the
 * events that were published, in order, with no gap and no duplicate.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ResumeTest
{
    private static final int EVENTS = 2000;
    private static final long PACE_NS = TimeUnit.MICROSECONDS.toNanos(500);
    private static final String END = "end-of-test";

    private Broker broker;
    private IngestClient publisher;

    @BeforeEach
    void startBroker() throws InterruptedException
    {
        broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0).historyCount(4096));
        publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "resume-test");
    }

    @AfterEach
    void stopBroker()
    {
        publisher.close();
        broker.close();
    }

    @Test
    void shouldReceiveEveryEventOnceWhenReconnectingWithLastEventIdHeader() throws Exception
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        final URI uri = URI.create("http://127.0.0.1:" + broker.httpPort() + "/events?topic=resume-header");
        final List<SseEvent> received = new ArrayList<>();
        CompletableFuture<List<Long>> publishing = null;
        String lastId = null;
        int connections = 0;
        boolean ended = false;
        while (!ended)
        {
            final HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET();
            if (null != lastId)
            {
                request.header("Last-Event-ID", lastId);
            }
            final HttpResponse<InputStream> response =
                JdkHttp.CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            connections++;
            try (BufferedReader body = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8)))
            {
                assertEquals(200, response.statusCode());
                assertEquals("retry: 3000", body.readLine());
                assertEquals(": ok", body.readLine());
                assertEquals("", body.readLine());
                if (null == publishing)
                {
                    publishing = publishPaced("resume-header");
                }
                // Leave after a random number of events: closing the body drops the connection.
                for (int budget = 1 + random.nextInt(60); budget > 0 && !ended; budget--)
                {
                    final SseEvent event = nextEvent(body);
                    ended = END.equals(event.data());
                    if (!ended)
                    {
                        received.add(event);
                        lastId = event.id();
                    }
                }
            }
        }

        assertExactlyPublished(publishing.get(10, TimeUnit.SECONDS), received, "seed " + seed);
        assertTrue(connections > 20, "expected many reconnections, had " + connections + " (seed " + seed + ")");
    }

    @Test
    void shouldReceiveEveryEventOnceWhenReconnectingWithLastEventIdQueryParameterAfterCutsMidChunk() throws Exception
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        final List<SseEvent> received = new ArrayList<>();
        CompletableFuture<List<Long>> publishing = null;
        String lastId = null;
        int connections = 0;
        boolean ended = false;
        while (!ended)
        {
            final String target = "/events?topic=resume-query" + (null == lastId ? "" : "&lastEventId=" + lastId);
            try (RawHttpConnection connection = RawHttpConnection.open(broker.httpPort()))
            {
                connection.send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
                assertTrue(connection.readHead().startsWith("HTTP/1.1 200 OK\r\n"));
                connections++;
                final ChunkScanner scanner = new ChunkScanner();
                // Cut the connection after a random number of body bytes, usually inside a chunk; what
                // was cut off is not an event (the spec discards an unterminated block).
                int budget = 1 + random.nextInt(3000);
                boolean preambleSeen = false;
                while (!ended && (budget > 0 || null == lastId || !preambleSeen))
                {
                    final byte[] bytes = connection.readSome(budget > 0 ? Math.min(budget, 4096) : 4096);
                    if (null == bytes)
                    {
                        throw new AssertionError("broker ended the stream (seed " + seed + ")");
                    }
                    budget -= bytes.length;
                    for (final byte[] payload : scanner.feed(bytes))
                    {
                        final String text = new String(payload, StandardCharsets.UTF_8);
                        if (!preambleSeen)
                        {
                            assertEquals("retry: 3000\n: ok\n\n", text);
                            preambleSeen = true;
                            if (null == publishing)
                            {
                                publishing = publishPaced("resume-query");
                            }
                            continue;
                        }
                        final SseEvent event = SseText.single(text);
                        if (END.equals(event.data()))
                        {
                            ended = true;
                            break;
                        }
                        received.add(event);
                        lastId = event.id();
                    }
                }
            }
        }

        assertExactlyPublished(publishing.get(10, TimeUnit.SECONDS), received, "seed " + seed);
        assertTrue(connections > 20, "expected many reconnections, had " + connections + " (seed " + seed + ")");
    }

    @Test
    void shouldResumeMultiTopicStreamAfterTheGivenIdAcrossTopics() throws Exception
    {
        final String[] topics = {"resume-x", "resume-y", "resume-z"};
        final List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 30; i++)
        {
            ids.add(publish(topics[i % 3], "m" + i));
        }

        try (SseStream stream = SseStream.open(broker.httpPort(),
            "/events?topic=resume-x&topic=resume-y&topic=resume-z", "Last-Event-ID: " + ids.get(9)))
        {
            for (int i = 10; i < 30; i++)
            {
                assertEquals(new SseEvent(Long.toString(ids.get(i)), null, "m" + i), stream.nextEvent());
            }
            final long live = publish("resume-y", "live");
            assertEquals(new SseEvent(Long.toString(live), null, "live"), stream.nextEvent());
        }
    }

    @Test
    void shouldSendOnlyNewEventsWhenResumingAtNewestId() throws Exception
    {
        long newest = 0;
        for (int i = 0; i < 5; i++)
        {
            newest = publish("resume-head", "old" + i);
        }

        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=resume-head", "Last-Event-ID: " + newest))
        {
            final long live = publish("resume-head", "new");
            assertEquals(SseStream.chunkOf("id: " + live + "\ndata: new\n\n"), stream.nextChunkText());
        }
    }

    @Test
    void shouldPreferLastEventIdHeaderOverQueryParameter() throws Exception
    {
        final long first = publish("resume-both", "one");
        final long second = publish("resume-both", "two");

        try (SseStream stream = SseStream.open(broker.httpPort(),
            "/events?topic=resume-both&lastEventId=" + (broker.epochId() - 1), "Last-Event-ID: " + first))
        {
            assertEquals(new SseEvent(Long.toString(second), null, "two"), stream.nextEvent());
        }
    }

    private long publish(final String topic, final String data) throws Exception
    {
        return publisher.publish(topic, null, data.getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
    }

    /**
     * Publishes {@link #EVENTS} events, one every {@link #PACE_NS} on average, then, once all are
     * acknowledged, the end marker.
     *
     * @return the acknowledged ids, in publish order.
     */
    private CompletableFuture<List<Long>> publishPaced(final String topic)
    {
        final CompletableFuture<List<Long>> result = new CompletableFuture<>();
        final Thread thread = new Thread(() ->
        {
            try
            {
                final List<CompletableFuture<Long>> futures = new ArrayList<>(EVENTS);
                final long startNs = System.nanoTime();
                for (int i = 0; i < EVENTS; i++)
                {
                    // Pacing, not synchronisation: hold a steady publish rate.
                    final long dueNs = startNs + i * PACE_NS;
                    final long waitNs = dueNs - System.nanoTime();
                    if (waitNs > 0)
                    {
                        LockSupport.parkNanos(waitNs);
                    }
                    futures.add(publisher.publish(topic, null, ("e" + i).getBytes(StandardCharsets.UTF_8)));
                }
                final List<Long> ids = new ArrayList<>(EVENTS);
                for (final CompletableFuture<Long> future : futures)
                {
                    ids.add(future.get(20, TimeUnit.SECONDS));
                }
                publisher.publish(topic, null, END.getBytes(StandardCharsets.UTF_8)).get(20, TimeUnit.SECONDS);
                result.complete(ids);
            }
            catch (final Throwable ex)
            {
                result.completeExceptionally(ex);
            }
        }, "paced-publisher");
        thread.setDaemon(true);
        thread.start();
        return result;
    }

    private static void assertExactlyPublished(final List<Long> ids, final List<SseEvent> received, final String context)
    {
        final List<SseEvent> expected = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++)
        {
            expected.add(new SseEvent(Long.toString(ids.get(i)), null, "e" + i));
        }
        if (!expected.equals(received))
        {
            for (int i = 0; i < Math.min(expected.size(), received.size()); i++)
            {
                assertEquals(expected.get(i), received.get(i), "event #" + i + " of " + expected.size() + " (" + context + ")");
            }
            assertEquals(expected.size(), received.size(), "events received (" + context + ")");
        }
    }

    /**
     * Reads lines up to the next blank line and parses the block; skips blocks without data (heartbeats).
     */
    private static SseEvent nextEvent(final BufferedReader body) throws java.io.IOException
    {
        while (true)
        {
            final StringBuilder block = new StringBuilder();
            for (String line = body.readLine(); ; line = body.readLine())
            {
                if (null == line)
                {
                    throw new AssertionError("stream ended");
                }
                block.append(line).append('\n');
                if (line.isEmpty())
                {
                    break;
                }
            }
            final List<SseEvent> events = SseText.parse(block.toString());
            if (!events.isEmpty())
            {
                return events.get(0);
            }
        }
    }
}

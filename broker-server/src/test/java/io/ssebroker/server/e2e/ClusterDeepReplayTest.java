package io.ssebroker.server.e2e;

import io.ssebroker.client.IngestClient;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.ClusterNodes;
import io.ssebroker.server.testing.H2cTestClient;
import io.ssebroker.server.testing.RawHttp;
import io.ssebroker.server.testing.SseEvent;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replay deeper than a node's memory: a {@code Last-Event-ID} older than the node's in-memory history, or older than
 * the node itself, but still held by the JetStream stream, is served from the stream and then joins the node's history
 * and the live stream, with no gap, no duplicate and no reset. Only when the stream itself no longer reaches back is
 * the client told {@code history-truncated}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterDeepReplayTest
{
    /** Events per topic a node keeps in memory: far fewer than the tests publish. */
    private static final int HISTORY = 20;

    @RegisterExtension
    final ClusterNodes cluster = new ClusterNodes();

    private Broker node(final UnaryOperator<BrokerConfig> settings) throws InterruptedException
    {
        return cluster.node(config -> settings.apply(config.historyCount(HISTORY)));
    }

    private IngestClient publisher(final Broker broker) throws Exception
    {
        return cluster.publisher(broker, "deep-replay-test");
    }

    private SseStream subscribe(final Broker broker, final String query, final String... headers) throws Exception
    {
        return cluster.subscribe(broker, query, headers);
    }

    /** Publishes {@code count} events alternating over the topics; returns [topic index][n] = id. */
    private static List<List<Long>> publishAlternating(
        final IngestClient publisher, final int count, final String... topics) throws Exception
    {
        final List<CompletableFuture<Long>> acks = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final String topic = topics[i % topics.length];
            acks.add(publisher.publish(topic, "", (topic + "-" + i / topics.length).getBytes(StandardCharsets.UTF_8)));
        }
        final List<List<Long>> ids = new ArrayList<>();
        for (int t = 0; t < topics.length; t++)
        {
            ids.add(new ArrayList<>());
        }
        for (int i = 0; i < count; i++)
        {
            ids.get(i % topics.length).add(acks.get(i).get(30, TimeUnit.SECONDS));
        }
        return ids;
    }

    private static void assertNext(final SseStream stream, final long id, final String data) throws Exception
    {
        final SseEvent event = stream.nextEvent();
        assertNull(event.event(), "no reset expected, got " + event);
        assertEquals(new SseEvent(Long.toString(id), null, data), event);
    }

    @Test
    void shouldServeAResumeOlderThanTheNodesHistoryFromTheStreamThenGoLive() throws Exception
    {
        final Broker node = node(c -> c);
        final IngestClient publisher = publisher(node);
        final List<List<Long>> ids = publishAlternating(publisher, 600, "deep", "other");
        final List<Long> deep = ids.get(0);

        final SseStream stream = subscribe(node, "topic=deep", "Last-Event-ID: " + deep.get(10));
        for (int n = 11; n < deep.size(); n++)
        {
            assertNext(stream, deep.get(n), "deep-" + n);
        }
        final long live = publisher.publish("deep", "", "live".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
        assertNext(stream, live, "live");
        assertTrue(RawHttp.get(node.httpPort(), "/metrics").bodyText().contains("sse_deep_replays_total"),
            "deep replays are counted");
    }

    @Test
    void shouldShareOneStreamReadAmongResumesFromTheSamePoint() throws Exception
    {
        final Broker node = node(c -> c);
        final IngestClient publisher = publisher(node);
        final List<Long> ids = publishAlternating(publisher, 300, "storm").get(0);

        // A reconnect storm in small: the subscribers of one topic all resume from the same id, below memory.
        final int resumes = 8;
        final List<SseStream> streams = new ArrayList<>();
        for (int i = 0; i < resumes; i++)
        {
            streams.add(subscribe(node, "topic=storm", "Last-Event-ID: " + ids.get(5)));
        }
        for (final SseStream stream : streams)
        {
            for (int n = 6; n < ids.size(); n++)
            {
                assertNext(stream, ids.get(n), "storm-" + n);
            }
        }
        final long live = publisher.publish("storm", "", "live".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
        for (final SseStream stream : streams)
        {
            assertNext(stream, live, "live");
        }
        final String metrics = RawHttp.get(node.httpPort(), "/metrics").bodyText();
        assertEquals(resumes, metricValue(metrics, "sse_deep_replays_total"), metrics);
        assertEquals(resumes - 1, metricValue(metrics, "sse_deep_replay_shared_loads_total"),
            "one read from the stream, shared by the other resumes: " + metrics);
    }

    /** The sum of a metric's samples in a Prometheus exposition. */
    private static long metricValue(final String exposition, final String name)
    {
        long sum = 0;
        for (final String line : exposition.split("\n"))
        {
            if (line.startsWith(name + " ") || line.startsWith(name + "{"))
            {
                sum += (long)Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    @Test
    void shouldMergeSeveralTopicsInIdOrderWhenReplayingFromTheStream() throws Exception
    {
        final Broker node = node(c -> c);
        final IngestClient publisher = publisher(node);
        final List<List<Long>> ids = publishAlternating(publisher, 300, "left", "right");

        final SseStream stream = subscribe(node, "topic=left&topic=right", "Last-Event-ID: " + ids.get(1).get(4));
        for (int i = 10; i < 300; i++)
        {
            final String topic = 0 == i % 2 ? "left" : "right";
            assertNext(stream, ids.get(i % 2).get(i / 2), topic + "-" + i / 2);
        }
    }

    @Test
    void shouldReplayMoreThanOneChunkFromTheStream() throws Exception
    {
        final Broker node = node(c -> c);
        final IngestClient publisher = publisher(node);
        final List<Long> ids = publishAlternating(publisher, 2_500, "long").get(0);

        final SseStream stream = subscribe(node, "topic=long", "Last-Event-ID: " + ids.get(0));
        for (int n = 1; n < ids.size(); n++)
        {
            assertNext(stream, ids.get(n), "long-" + n);
        }
    }

    @Test
    void shouldServeAResumeOnAFreshNodeFromBeforeItStarted() throws Exception
    {
        final Broker first = node(c -> c);
        final List<Long> ids = publishAlternating(publisher(first), 200, "fresh").get(0);
        // Loads only the last 10 events at start: a resume from further back is the stream's to serve.
        final Broker fresh = node(c -> c.natsWarmEvents(10));

        final SseStream stream = subscribe(fresh, "topic=fresh", "Last-Event-ID: " + ids.get(3));
        for (int n = 4; n < ids.size(); n++)
        {
            assertNext(stream, ids.get(n), "fresh-" + n);
        }
    }

    @Test
    void shouldSayHistoryTruncatedWhenTheStreamNoLongerReachesBack() throws Exception
    {
        final Broker node = node(c -> c.natsMaxEvents(100));
        final List<Long> ids = publishAlternating(publisher(node), 300, "gone").get(0);

        final SseStream stream = subscribe(node, "topic=gone", "Last-Event-ID: " + ids.get(0));
        final SseEvent reset = stream.nextEvent();
        assertEquals("reset", reset.event(), "a reset before the events the stream still holds: " + reset);
        assertEquals("{\"reason\":\"history-truncated\",\"lastEventId\":\"" + ids.get(0) + "\",\"oldestRetainedId\":\"" +
            ids.get(200) + "\",\"headId\":\"" + ids.get(299) + "\"}", reset.data());
        for (int n = 200; n < ids.size(); n++)
        {
            assertNext(stream, ids.get(n), "gone-" + n);
        }
    }

    @Test
    void shouldServeADeepResumeOverHttp2() throws Exception
    {
        final Broker node = node(c -> c);
        final List<Long> ids = publishAlternating(publisher(node), 100, "h2deep").get(0);

        try (H2cTestClient client = H2cTestClient.connect(node.httpPort()))
        {
            final int stream = client.request(client.requestHeaders("GET", "/events?topic=h2deep")
                .add("last-event-id", Long.toString(ids.get(1))), null);
            final StringBuilder expected = new StringBuilder(H2cTestClient.PREAMBLE);
            for (int n = 2; n < ids.size(); n++)
            {
                expected.append("id: ").append(ids.get(n)).append("\ndata: h2deep-").append(n).append("\n\n");
            }
            assertEquals(expected.toString(), client.awaitText(stream, expected.toString()));
        }
    }
}

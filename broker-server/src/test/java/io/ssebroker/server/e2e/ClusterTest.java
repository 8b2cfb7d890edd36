package io.ssebroker.server.e2e;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.ssebroker.client.IngestClient;
import io.ssebroker.server.Broker;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.ClusterNodes;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two broker nodes on one real nats-server with JetStream: an event published through one node reaches the other's
 * subscribers with the same id, a client resumes on either node from the other's id, and the nodes keep delivering,
 * without a gap, across a restart of nats-server in the middle of publishing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterTest
{
    @RegisterExtension
    final ClusterNodes cluster = new ClusterNodes();

    private Broker node() throws InterruptedException
    {
        return cluster.node();
    }

    private IngestClient publisher(final Broker broker) throws Exception
    {
        return cluster.publisher(broker, "cluster-test");
    }

    private SseStream subscribe(final Broker broker, final String topic, final String... headers) throws Exception
    {
        return cluster.subscribe(broker, "topic=" + topic, headers);
    }

    @Test
    void shouldDeliverAnEventPublishedOnOneNodeToTheOtherWithTheSameId() throws Exception
    {
        final Broker a = node();
        final Broker b = node();
        final SseStream onA = subscribe(a, "scores");
        final SseStream onB = subscribe(b, "scores");
        final IngestClient publisher = publisher(a);

        final long id = publisher.publish("scores", "goal", "1-0".getBytes(StandardCharsets.UTF_8))
            .get(10, TimeUnit.SECONDS);

        final SseEvent seenOnB = onB.nextEvent();
        final SseEvent seenOnA = onA.nextEvent();
        assertEquals(new SseEvent(Long.toString(id), "goal", "1-0"), seenOnB);
        assertEquals(seenOnB, seenOnA);
        assertEquals(a.epochId(), b.epochId(), "both nodes derive the epoch from the stream");
        assertTrue(id >= a.epochId(), id + " below the epoch " + a.epochId());
    }

    @Test
    void shouldGiveEachNodeADashboardFeedOfItsOwnNumbers() throws Exception
    {
        final Broker a = node();
        final Broker b = node();
        assertTrue(a.statsTopic().startsWith("@broker.stats."), a.statsTopic());
        assertNotEquals(a.statsTopic(), b.statsTopic(), "each node publishes its numbers to a topic of its own");
        final String page = RawHttp.get(a.httpPort(), "/dashboard").bodyText();
        assertTrue(page.contains("'" + a.statsTopic() + "'"), "the node's dashboard follows its own topic");

        // Two subscribers on A, one on B: each node's feed counts its own.
        final SseStream feedA = subscribe(a, a.statsTopic());
        final SseStream other = subscribe(a, "scores");
        final SseStream feedB = subscribe(b, b.statsTopic());
        assertEquals(2, subscribersOnceSettled(feedA, 2), "A's feed counts A's subscribers");
        assertEquals(1, subscribersOnceSettled(feedB, 1), "B's feed counts B's subscribers");
        other.close();
    }

    /** Reads the feed's stats events until one counts {@code expected} subscribers, or gives the last count. */
    private static long subscribersOnceSettled(final SseStream feed, final long expected) throws Exception
    {
        final Pattern total = Pattern.compile("\"total\":(\\d+)");
        long last = -1;
        for (int i = 0; i < 10 && last != expected; i++)
        {
            final SseEvent event = feed.nextEvent();
            assertEquals("stats", event.event(), event.toString());
            final Matcher matcher = total.matcher(event.data());
            assertTrue(matcher.find(), event.data());
            last = Long.parseLong(matcher.group(1));
        }
        return last;
    }

    @Test
    void shouldResumeOnOneNodeFromTheIdsOfTheOther() throws Exception
    {
        final Broker a = node();
        final Broker b = node();
        final IngestClient publisher = publisher(b);
        final SseStream onA = subscribe(a, "ticks");
        final List<Long> acked = new ArrayList<>();
        for (int i = 0; i < 50; i++)
        {
            acked.add(publisher.publish("ticks", "", ("t" + i).getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS));
        }
        long lastSeen = 0;
        for (int i = 0; i < 20; i++)
        {
            lastSeen = onA.nextEvent().idAsLong();
        }
        onA.close();

        // The client moves to node B with the id node A gave it: the rest, exactly once, then live.
        final SseStream onB = subscribe(b, "ticks", "Last-Event-ID: " + lastSeen);
        acked.add(publisher.publish("ticks", "", "live".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS));
        final List<Long> resumed = new ArrayList<>();
        for (int i = 20; i < acked.size(); i++)
        {
            final SseEvent event = onB.nextEvent();
            assertNull(event.event(), "no reset expected, got " + event);
            resumed.add(event.idAsLong());
        }
        assertEquals(acked.subList(20, acked.size()), resumed);
    }

    @Test
    void shouldKeepDeliveringWithoutAGapAcrossANatsServerRestart() throws Exception
    {
        final Broker a = node();
        final Broker b = node();
        final IngestClient publisher = publisher(a);
        final SseStream onB = subscribe(b, "feed");
        final int events = 400;
        final List<CompletableFuture<Long>> acks = new ArrayList<>();
        for (int i = 0; i < events; i++)
        {
            if (events / 2 == i)
            {
                cluster.nats().restart();
            }
            acks.add(publisher.publish("feed", "", ("e" + i).getBytes(StandardCharsets.UTF_8)));
            Thread.sleep(2);
        }
        final List<Long> ids = new ArrayList<>();
        for (final CompletableFuture<Long> ack : acks)
        {
            ids.add(ack.get(60, TimeUnit.SECONDS));
        }
        final List<Long> delivered = new ArrayList<>();
        final List<String> data = new ArrayList<>();
        while (delivered.size() < events)
        {
            final SseEvent event = onB.nextEvent();
            assertNull(event.event(), "no reset expected, got " + event);
            delivered.add(event.idAsLong());
            data.add(event.data());
        }
        assertEquals(ids, delivered, "every acknowledged event once, in publish order");
        for (int i = 0; i < events; i++)
        {
            assertEquals("e" + i, data.get(i));
        }
        Await.until("both nodes ready again", () -> a.isReady() && b.isReady());
    }

    @Test
    void shouldTellAClientFromADeletedStreamThatItsIdIsFromAnotherEpoch() throws Exception
    {
        final Broker a = node();
        final long oldId = publisher(a).publish("t", "", "x".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
        cluster.closeOpened();
        try (Connection connection = Nats.connect(cluster.nats().url()))
        {
            connection.jetStreamManagement().deleteStream("sse");
        }
        Thread.sleep(5); // the new stream's creation time is later by at least a millisecond
        final Broker c = node();
        final SseStream resumed = subscribe(c, "t", "Last-Event-ID: " + oldId);
        final SseEvent reset = resumed.nextEvent();
        assertEquals("reset", reset.event());
        assertTrue(reset.data().contains("\"reason\":\"unknown-epoch\""), reset.data());
        assertTrue(c.epochId() > oldId, "the new stream's ids start above the old one's");
    }

    @Test
    void shouldStopBeingReadyAndSayWhyWhenTheStreamIsReplacedUnderARunningNode() throws Exception
    {
        final Broker a = node();
        final SseStream onA = subscribe(a, "t");
        final IngestClient publisher = publisher(a);
        for (int i = 0; i < 5; i++)
        {
            publisher.publish("t", "", ("old" + i).getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
            assertEquals("old" + i, onA.nextEvent().data());
        }
        final CompletableFuture<String> fatal = new CompletableFuture<>();
        a.onFatal(fatal::complete);
        try (Connection connection = Nats.connect(cluster.nats().url()))
        {
            final io.nats.client.JetStreamManagement management = connection.jetStreamManagement();
            final io.nats.client.api.StreamConfiguration config = management.getStreamInfo("sse").getConfiguration();
            management.deleteStream("sse");
            Await.until("node not ready while its stream is gone", () -> !a.isReady());
            Thread.sleep(5); // a later creation time
            management.addStream(config);
            // Sequences start over: 1..10 in the new stream, 6..10 above what the node applied from the old one.
            for (int i = 0; i < 10; i++)
            {
                connection.jetStream().publish("sse.t", ("new" + i).getBytes(StandardCharsets.UTF_8));
            }
        }

        final String reason = fatal.get(20, TimeUnit.SECONDS);
        assertTrue(reason.contains("deleted and created again"), reason);
        assertTrue(!a.isReady(), "not ready after the stream was replaced");
        onA.connection().socket().setSoTimeout(3_000);
        try
        {
            final SseEvent next = onA.nextEvent();
            throw new AssertionError("an event of the new stream reached the old epoch's subscriber: " + next);
        }
        catch (final java.net.SocketTimeoutException expected)
        {
            // nothing of the new stream under the old epoch's ids
        }
    }
}

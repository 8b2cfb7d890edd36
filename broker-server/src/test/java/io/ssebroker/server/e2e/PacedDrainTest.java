package io.ssebroker.server.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.ssebroker.client.IngestClient;
import io.ssebroker.fanout.EvictionReason;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.H2cTestClient;
import io.ssebroker.server.testing.RawHttpConnection;
import io.ssebroker.server.testing.SseEvent;
import io.ssebroker.server.testing.SseStream;
import io.ssebroker.server.testing.SseText;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code drain-ms}: shutdown ends the streams a few at a time over the drain, and serves the ones still open (live
 * events, publishers acknowledged) until it ends them; new requests are refused from the start.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PacedDrainTest
{
    private static final long DRAIN_MS = 2_000;
    private static final int HTTP1_STREAMS = 12;
    private static final int H2_STREAMS = 4;
    private static final String TOPIC = "paced";

    private Broker broker;

    @BeforeEach
    void startBroker() throws InterruptedException
    {
        broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0).drainMs(DRAIN_MS));
    }

    @AfterEach
    void stopBroker()
    {
        broker.close();
    }

    @Test
    void shouldEndStreamsSpreadOverTheDrainWhileStillDeliveringToTheRest() throws Exception
    {
        final List<SseStream> streams = new ArrayList<>();
        final List<StreamReader> readers = new ArrayList<>();
        final List<Acked> acked = new CopyOnWriteArrayList<>();
        final AtomicBoolean stopPublishing = new AtomicBoolean();
        try (H2cTestClient h2 = H2cTestClient.connect(broker.httpPort());
            RawHttpConnection idle = RawHttpConnection.open(broker.httpPort());
            IngestClient publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "paced-drain"))
        {
            for (int i = 0; i < HTTP1_STREAMS; i++)
            {
                final SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=" + TOPIC);
                streams.add(stream);
                final StreamReader reader = new StreamReader(stream);
                readers.add(reader);
            }
            final int[] h2Streams = new int[H2_STREAMS];
            for (int i = 0; i < H2_STREAMS; i++)
            {
                h2Streams[i] = h2.get("/events?topic=" + TOPIC);
                h2.awaitText(h2Streams[i], H2cTestClient.PREAMBLE);
            }
            idle.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assertEquals(200, idle.readResponse().status());
            readers.forEach(Thread::start);

            final Thread publishing = new Thread(() -> publishUntilRefused(publisher, acked, stopPublishing), "publisher");
            publishing.start();
            Await.until("publishing under way", () -> acked.size() >= 5);

            final long closeStartNs = System.nanoTime();
            final Thread closer = new Thread(broker::close, "closer");
            closer.start();

            assertTrue(idle.awaitClose(), "an idle keep-alive connection closes when the drain starts");
            final long idleClosedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closeStartNs);
            assertTrue(idleClosedMs < DRAIN_MS / 2, "the idle connection closed after " + idleClosedMs + " ms");

            for (final StreamReader reader : readers)
            {
                reader.join(DRAIN_MS + 20_000);
                assertFalse(reader.isAlive(), "stream still open after the drain");
                assertTrue(reader.cleanEnd, "stream must end with the terminating chunk: " + reader.failure);
            }
            Await.until(() -> "every h2 stream to end; client saw " + h2.timeline(), () ->
            {
                for (final int id : h2Streams)
                {
                    if (!h2.ended(id))
                    {
                        return false;
                    }
                }
                return true;
            }, Duration.ofSeconds(20));
            for (final int id : h2Streams)
            {
                assertEquals(-1, h2.resetCode(id), "an h2 stream must end, not be reset: " + h2.timeline());
            }
            assertFalse(h2.goAways().isEmpty(), "GOAWAY at the start of the drain: " + h2.timeline());
            closer.join(DRAIN_MS + 20_000);
            assertFalse(closer.isAlive(), "close() must return after the drain and the shutdown");
            stopPublishing.set(true);
            publishing.join(10_000);

            long firstEndNs = Long.MAX_VALUE;
            long lastEndNs = Long.MIN_VALUE;
            StreamReader last = null;
            for (final StreamReader reader : readers)
            {
                firstEndNs = Math.min(firstEndNs, reader.endNs);
                if (reader.endNs > lastEndNs)
                {
                    lastEndNs = reader.endNs;
                    last = reader;
                }
            }
            final long spreadMs = TimeUnit.NANOSECONDS.toMillis(lastEndNs - firstEndNs);
            assertTrue(spreadMs >= DRAIN_MS / 2, "the streams ended within " + spreadMs + " ms of each other, " +
                "not spread over the " + DRAIN_MS + " ms drain");

            // Every stream got every acknowledged event, in order, until it ended: a prefix of the acknowledged ids.
            for (final StreamReader reader : readers)
            {
                final List<Long> ids = reader.ids;
                assertTrue(ids.size() <= acked.size(), "more events than were acknowledged");
                for (int i = 0; i < ids.size(); i++)
                {
                    assertEquals(acked.get(i).id, ids.get(i), "event " + i + " of a draining stream");
                }
            }
            // The last stream to end was still served live after the first one ended.
            final long firstEnd = firstEndNs;
            final long servedLate = last.ids.stream()
                .filter(id -> acked.stream().anyMatch(a -> a.id == id && a.ackedNs > firstEnd))
                .count();
            assertTrue(servedLate > 0, "the last stream received no event acknowledged after the first stream ended");
            assertEquals(HTTP1_STREAMS + H2_STREAMS, broker.evictions(EvictionReason.SHUTDOWN),
                "every stream ended by the drain is counted");
        }
        finally
        {
            stopPublishing.set(true);
            for (final SseStream stream : streams)
            {
                stream.close();
            }
        }
    }

    private static void publishUntilRefused(
        final IngestClient publisher, final List<Acked> acked, final AtomicBoolean stop)
    {
        int n = 0;
        while (!stop.get())
        {
            try
            {
                final long id = publisher.publish(TOPIC, null, ("e" + n++).getBytes(StandardCharsets.UTF_8))
                    .get(10, TimeUnit.SECONDS);
                acked.add(new Acked(id, System.nanoTime()));
                Thread.sleep(20);
            }
            catch (final Exception ex)
            {
                // SHUTTING_DOWN or the closed connection at the end of the shutdown.
                return;
            }
        }
    }

    private record Acked(long id, long ackedNs)
    {
    }

    /** Reads one stream until its terminating chunk, keeping the ids and when it ended. */
    private static final class StreamReader extends Thread
    {
        private final SseStream stream;
        private final List<Long> ids = new ArrayList<>();
        private volatile boolean cleanEnd;
        private volatile long endNs;
        private volatile String failure;

        StreamReader(final SseStream stream)
        {
            super("paced-reader");
            this.stream = stream;
        }

        @Override
        public void run()
        {
            try
            {
                while (true)
                {
                    final String chunk = stream.nextChunkText();
                    if (SseStream.END_CHUNK.equals(chunk))
                    {
                        endNs = System.nanoTime();
                        cleanEnd = true;
                        return;
                    }
                    final String payload = SseStream.payloadText(chunk.getBytes(StandardCharsets.UTF_8));
                    if (!SseStream.HEARTBEAT_CHUNK.equals(chunk))
                    {
                        final SseEvent event = SseText.single(payload);
                        ids.add(Long.parseLong(event.id()));
                    }
                }
            }
            catch (final IOException | RuntimeException | AssertionError ex)
            {
                failure = ex.toString();
                endNs = System.nanoTime();
            }
        }
    }
}

package io.ssebroker.server.e2e;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.ssebroker.client.IngestClient;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.H2cTestClient;
import io.ssebroker.server.testing.ProtobufScrape;
import io.ssebroker.server.testing.SseEvent;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --write-linger-us} through a real broker, HTTP/1.1 and HTTP/2 subscribers on one topic: events published
 * a millisecond apart are held behind each subscriber's previous write (counted by
 * {@code sse_subscriber_writes_lingered_total}) and every one still arrives once, in order, with its acknowledged
 * id; without a linger nothing is held.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WriteLingerTest
{
    private static final String TOPIC = "lingering";
    private static final int EVENTS = 30;
    private static final int H2_STREAMS = 3;

    @Test
    void shouldHoldWritesWithinTheLingerAndStillDeliverEveryEventOnceInOrder() throws Exception
    {
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0).eventLoops(2)
            .flushLingerUs(0).writeLingerUs(TimeUnit.MILLISECONDS.toMicros(50))))
        {
            publishAndCheck(broker);
            final double held = lingered(broker);
            // Each subscriber got the first event at once and the next ones behind it within 50 ms.
            assertTrue(held >= 1 + H2_STREAMS, held + " writes held for 1 + " + H2_STREAMS + " subscribers");
        }
    }

    @Test
    void shouldHoldNothingWithoutALinger() throws Exception
    {
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0).eventLoops(2).flushLingerUs(0)))
        {
            publishAndCheck(broker);
            assertEquals(0.0, lingered(broker));
        }
    }

    private static void publishAndCheck(final Broker broker) throws Exception
    {
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=" + TOPIC);
            H2cTestClient h2 = H2cTestClient.connect(broker.httpPort());
            IngestClient client = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "write-linger-test"))
        {
            final int[] streams = new int[H2_STREAMS];
            for (int i = 0; i < H2_STREAMS; i++)
            {
                streams[i] = h2.get("/events?topic=" + TOPIC);
                assertEquals(H2cTestClient.PREAMBLE, h2.awaitText(streams[i], H2cTestClient.PREAMBLE));
            }
            final List<CompletableFuture<Long>> acks = new ArrayList<>();
            for (int i = 0; i < EVENTS; i++)
            {
                acks.add(client.publish(TOPIC, null, ("event " + i).getBytes(StandardCharsets.UTF_8)));
                Thread.sleep(1);
            }
            final StringBuilder expected = new StringBuilder(H2cTestClient.PREAMBLE);
            for (int i = 0; i < EVENTS; i++)
            {
                final long id = acks.get(i).get(20, TimeUnit.SECONDS);
                assertEquals(new SseEvent(Long.toString(id), null, "event " + i), stream.nextEvent());
                expected.append("id: ").append(id).append("\ndata: event ").append(i).append("\n\n");
            }
            for (final int streamId : streams)
            {
                assertEquals(expected.toString(), h2.awaitText(streamId, expected.toString()), "h2 stream " + streamId);
            }
        }
    }

    private static double lingered(final Broker broker) throws Exception
    {
        return ProtobufScrape.of(broker.httpPort()).value("sse_subscriber_writes_lingered_total");
    }
}

package io.ssebroker.server.engine;

import io.ssebroker.client.IngestClient;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * One stream over 256 topics with 40-character names (a 12 KiB query string) receives events of
 * every one of them, in id order.
 */
class ManyTopicsStreamTest
{
    private static final int TOPICS = 256;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldStreamTwoHundredFiftySixTopicsWithLongNames() throws Exception
    {
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0));
            SseStreams streams = new SseStreams();
            IngestClient publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), null, "many-topics"))
        {
            final StringBuilder query = new StringBuilder("/events?");
            for (int i = 0; i < TOPICS; i++)
            {
                query.append(0 == i ? "" : "&").append("topic=").append(topicName(i));
            }
            final SseStreams.Stream stream = streams.open(broker.httpPort(), query.toString());
            Await.until("stream registered", () -> broker.subscribers() == 1, Duration.ofSeconds(10));

            long lastId = 0;
            for (int i = TOPICS - 1; i >= 0; i--)
            {
                lastId = publisher.publish(topicName(i), null, ("v" + i).getBytes(StandardCharsets.UTF_8))
                    .get(10, TimeUnit.SECONDS);
            }
            final long expectedLast = lastId;
            Await.until("event of every topic delivered", () -> stream.lastId == expectedLast, Duration.ofSeconds(20));
            assertEquals(TOPICS, stream.events.get());
            assertNull(stream.orderViolation);
        }
    }

    private static String topicName(final int i)
    {
        return String.format("market.equities.us.nasdaq.symbol-%07d", i);
    }
}

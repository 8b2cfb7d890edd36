package io.ssebroker.server.e2e;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.ssebroker.client.IngestClient;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.SseEvent;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Each value of the {@code transport} setting serves a subscriber and a publisher end to end, and the broker runs the
 * transport asked for, or the documented fallback where this machine lacks it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TransportTest
{
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring", "nio"})
    void shouldServeSubscribersAndPublishersOnEveryTransport(final String transport) throws Exception
    {
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0).transport(transport)))
        {
            assertEquals(expected(transport), broker.transportName());
            try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=transport");
                IngestClient client = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "transport-test"))
            {
                for (int i = 0; i < 100; i++)
                {
                    final long id = client.publish("transport", null, ("over " + transport + " " + i)
                        .getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
                    assertEquals(new SseEvent(Long.toString(id), null, "over " + transport + " " + i), stream.nextEvent());
                }
            }
        }
    }

    private static String expected(final String transport)
    {
        if ("io_uring".equals(transport) && IoUring.isAvailable())
        {
            return "io_uring";
        }
        if (!"nio".equals(transport) && Epoll.isAvailable())
        {
            return "epoll";
        }
        return "nio";
    }
}

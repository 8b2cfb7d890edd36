package io.ssebroker.server.e2e;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.ssebroker.client.IngestClient;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Idle streams carry {@code :} comment chunks every {@code heartbeatMs}, so proxies and clients see
 * the connection is alive.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HeartbeatTest
{
    private static final long HEARTBEAT_MS = 200;

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.with(config -> config.heartbeatMs(HEARTBEAT_MS));

    @Test
    void shouldSendHeartbeatCommentChunksOnIdleStream() throws Exception
    {
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=idle"))
        {
            final long openedNs = System.nanoTime();
            for (int i = 0; i < 3; i++)
            {
                assertEquals("3\r\n:\n\n\r\n", stream.nextChunkText(), "heartbeat #" + i);
            }
            // Three heartbeats a heartbeat interval apart cannot arrive sooner than two intervals.
            final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - openedNs);
            assertTrue(elapsedMs >= 2 * HEARTBEAT_MS, "three heartbeats within " + elapsedMs + " ms");
        }
    }

    @Test
    void shouldKeepHeartbeatingAfterAnEvent() throws Exception
    {
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=once");
            IngestClient publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "heartbeat-test"))
        {
            final long id = publisher.publish("once", null, "x".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);

            String chunk = stream.nextChunkText();
            while (SseStream.HEARTBEAT_CHUNK.equals(chunk))
            {
                chunk = stream.nextChunkText();
            }
            assertEquals(SseStream.chunkOf("id: " + id + "\ndata: x\n\n"), chunk);
            assertEquals(SseStream.HEARTBEAT_CHUNK, stream.nextChunkText());
        }
    }
}

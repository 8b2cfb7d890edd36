package io.ssebroker.server.engine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import io.ssebroker.client.IngestClient;
import io.ssebroker.fanout.EvictionReason;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A subscriber that never reads, with the default kernel send buffer: once history laps it, it is evicted
 * and its connection is gone at once, reset, not left waiting behind the bytes it will never read. (A
 * graceful end-of-body on such a connection never completes: it held its queue and the kernel's for ever.)
 * With the kernel's auto-tuning instead, the kernel can still be absorbing its backlog when it is lapped,
 * so the connection looks writable and gets the graceful end, reset after a bounded wait: by design, and
 * why the default fixes the send buffer.
 */
class StalledReaderEvictionTest
{
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldCloseLappedStalledReaderAtOnceWithReset() throws Exception
    {
        final BrokerConfig config = BrokerConfig.defaults().httpPort(0).ingestPort(0).historyCount(100);
        try (Broker broker = Broker.start(config);
             Socket stalled = new Socket();
             IngestClient publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), null, null))
        {
            stalled.setReceiveBufferSize(4096);
            stalled.connect(new InetSocketAddress("127.0.0.1", broker.httpPort()));
            stalled.getOutputStream().write(
                "GET /events?topic=stalled HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Await.until("subscribed", () -> 1 == broker.subscribers());

            final byte[] data = new byte[4000];
            Arrays.fill(data, (byte)'x');
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (0 == broker.evictions(EvictionReason.LAPPED) && System.nanoTime() < deadlineNs)
            {
                for (int i = 0; i < 100; i++)
                {
                    publisher.publish("stalled", null, data);
                }
                Thread.sleep(10);
            }
            assertEquals(1, broker.evictions(EvictionReason.LAPPED), "history lapped the stalled reader");

            Await.until("the evicted connection is closed", () -> broker.httpChannels().isEmpty(), Duration.ofSeconds(2));
            // The frames still queued when it closed fail quietly: an eviction is not an exception per frame.
            assertEquals(0, broker.counters().get(Counter.CONNECTION_IO_ERRORS), "connection I/O errors");
            assertEquals(0, broker.counters().get(Counter.HANDLER_EXCEPTIONS), "handler exceptions");
            // Reset: the first read fails instead of draining megabytes that were never meant to arrive.
            stalled.setSoTimeout(5_000);
            assertThrows(IOException.class, () ->
            {
                final byte[] buffer = new byte[64 * 1024];
                while (stalled.getInputStream().read(buffer) >= 0)
                {
                    // drain until the reset surfaces
                }
                throw new AssertionError("a clean end of stream instead of a reset");
            });
        }
    }
}

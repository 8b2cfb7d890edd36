package io.ssebroker.server.engine;

import io.netty.channel.Channel;
import io.ssebroker.client.IngestClient;
import io.ssebroker.fanout.EvictionReason;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Invariant 5 over real sockets: one reader that never reads among 1,000 that do. The fast ones get
 * every event in order, the stalled one is evicted as SLOW, and no connection ever has more than its
 * bound of outbound bytes queued.
 */
class SlowSubscriberTest
{
    private static final int FAST_READERS = 1000;
    private static final int EVENTS = 300;
    private static final int BUFFER_BYTES = 8 * 1024;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldEvictStalledReaderWhileThousandFastReadersGetEverything() throws Exception
    {
        final BrokerConfig config = BrokerConfig.defaults()
            .httpPort(0)
            .ingestPort(0)
            .eventLoops(2)
            .historyCount(10_000)
            .subscriberBufferBytes(BUFFER_BYTES)
            .socketSendBufferBytes(4096)
            .slowGraceMs(10_000)
            .heartbeatMs(60_000);
        try (Broker broker = Broker.start(config);
            SseStreams streams = new SseStreams();
            Socket stalled = new Socket())
        {
            final List<SseStreams.Stream> fast = new ArrayList<>();
            for (int i = 0; i < FAST_READERS; i++)
            {
                fast.add(streams.open(broker.httpPort(), "/events?topic=quotes"));
            }
            stalled.setReceiveBufferSize(4096);
            stalled.connect(new InetSocketAddress("127.0.0.1", broker.httpPort()));
            final OutputStream out = stalled.getOutputStream();
            out.write("GET /events?topic=quotes HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Await.until("all streams registered", () -> broker.subscribers() == FAST_READERS + 1, Duration.ofSeconds(20));

            final AtomicLong maxPendingBytes = new AtomicLong();
            final AtomicBoolean sampling = new AtomicBoolean(true);
            final Thread sampler = new Thread(() ->
            {
                while (sampling.get())
                {
                    for (final Channel ch : broker.httpChannels())
                    {
                        final io.netty.channel.ChannelOutboundBuffer buffer = ch.unsafe().outboundBuffer();
                        if (null != buffer)
                        {
                            maxPendingBytes.accumulateAndGet(buffer.totalPendingWriteBytes(), Math::max);
                        }
                    }
                    Thread.onSpinWait();
                }
            }, "pending-bytes-sampler");
            sampler.start();

            final byte[] payload = "x".repeat(200).getBytes(StandardCharsets.UTF_8);
            try (IngestClient publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), null, "slow-test"))
            {
                final List<CompletableFuture<Long>> acks = new ArrayList<>();
                // A steady feed (ten events every 50 ms), as a ticker would publish.
                for (int i = 0; i < EVENTS; i++)
                {
                    acks.add(publisher.publish("quotes", null, payload));
                    if (9 == i % 10)
                    {
                        acks.get(i).get(30, TimeUnit.SECONDS);
                        Thread.sleep(50);
                    }
                }
                for (final CompletableFuture<Long> ack : acks)
                {
                    ack.get(30, TimeUnit.SECONDS);
                }
            }

            Await.until(
                () -> "fast readers complete: min " + fast.stream().mapToInt(s -> s.events.get()).min().orElse(-1) +
                    ", ended " + fast.stream().filter(s -> s.ended).count() +
                    ", slow evictions " + broker.evictions(EvictionReason.SLOW) +
                    ", deliveries " + broker.deliveries(),
                () -> fast.stream().allMatch(s -> s.events.get() == EVENTS),
                Duration.ofSeconds(60));
            Await.until("stalled reader evicted", () -> broker.evictions(EvictionReason.SLOW) >= 1, Duration.ofSeconds(30));
            sampling.set(false);
            sampler.join();

            for (final SseStreams.Stream stream : fast)
            {
                assertNull(stream.orderViolation);
                assertTrue(!stream.ended, "a fast reader was disconnected");
            }
            assertEquals(FAST_READERS, broker.subscribers());
            assertEquals(1, broker.evictions(EvictionReason.SLOW), "only the stalled reader is evicted");
            assertEquals(0, broker.evictions(EvictionReason.LAPPED));
            assertTrue(maxPendingBytes.get() <= BUFFER_BYTES + 1024,
                "outbound queue bounded per subscriber, max seen " + maxPendingBytes.get());
            assertStreamEndsSoon(stalled);
        }
    }

    private static void assertStreamEndsSoon(final Socket socket) throws Exception
    {
        socket.setSoTimeout(10_000);
        final InputStream in = socket.getInputStream();
        final byte[] buffer = new byte[64 * 1024];
        int read;
        try
        {
            do
            {
                read = in.read(buffer);
            }
            while (read >= 0);
        }
        catch (final java.net.SocketException reset)
        {
            // An evicted reader that did not read is reset (its unread bytes are dropped): ended too.
            assertTrue(String.valueOf(reset.getMessage()).contains("reset"), String.valueOf(reset));
        }
    }
}

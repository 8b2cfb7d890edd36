package io.ssebroker.server.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PoolArenaMetric;
import io.netty.buffer.PooledByteBufAllocator;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.JdkHttp;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Invariant 1 across transports: an event is encoded once, and HTTP/1.1 connections and HTTP/2
 * streams on the same topic are all written slices of that one encoding. Counted with an allocator
 * that attributes every buffer to the thread that asked for it: the sequencer allocates the same
 * for 0 subscribers as for 10 HTTP/1.1 plus 40 h2 subscribers, and the event loops allocate far less
 * than the payload bytes they deliver (frame headers and socket reads, no copies). A copy made
 * through another allocator (a buffer's own {@code alloc()}, which is the pool's) would escape that
 * count, so the pool's own count of payload-sized allocations is checked too.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SharedFramesAcrossProtocolsTest
{
    private static final int EVENTS = 8;
    /** Large enough that a copy of it is a "normal" (page-run) pooled allocation, unlike frame headers and reads. */
    private static final int PAYLOAD_BYTES = 64 * 1024;
    private static final int H1_SUBSCRIBERS = 10;
    private static final int H2_STREAMS = 40;

    @Test
    void shouldEncodeOnceAndShareFramesWithHttp11AndH2Subscribers() throws Exception
    {
        final String nghttp = io.ssebroker.server.testing.ExternalTools.require("nghttp", "nghttp2-client");
        final CountingAllocator counting = new CountingAllocator();
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0).allocator(counting)))
        {
            final String payload = "x".repeat(PAYLOAD_BYTES);

            // Alone: what the sequencer allocates for EVENTS events nobody reads.
            counting.reset();
            final long pooledAloneBefore = payloadSizedAllocations();
            publish(broker, "alone", payload, EVENTS);
            final long pooledAlone = payloadSizedAllocations() - pooledAloneBefore;
            final long sequencerAlone = counting.sequencerBuffers.sum();
            // The loops' share of publishing itself (request bodies, messages for the ring, answers).
            final long loopBytesAlone = counting.loopBytes.sum();
            assertTrue(sequencerAlone > 0, "the sequencer's slabs are counted");

            final List<SseStream> h1 = new ArrayList<>();
            final List<String> args = new ArrayList<>(List.of(nghttp, "-n", "--no-dep", "-t", "30",
                "-w", "20", "-W", "24"));
            for (int i = 0; i < H2_STREAMS; i++)
            {
                args.add("http://127.0.0.1:" + broker.httpPort() + "/events?topic=shared&i=" + i);
            }
            final Process h2 = new ProcessBuilder(args).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try
            {
                for (int i = 0; i < H1_SUBSCRIBERS; i++)
                {
                    h1.add(SseStream.open(broker.httpPort(), "/events?topic=shared"));
                }
                Await.until("all subscribers registered", () -> broker.subscribers() == H1_SUBSCRIBERS + H2_STREAMS);

                counting.reset();
                final long pooledBefore = payloadSizedAllocations();
                final long deliveriesBefore = broker.deliveries();
                publish(broker, "shared", payload, EVENTS);
                for (final SseStream stream : h1)
                {
                    for (int e = 0; e < EVENTS; e++)
                    {
                        final String chunk = stream.nextChunkText();
                        assertTrue(chunk.contains("data: " + payload + "\n"), "HTTP/1.1 subscriber got event " + e);
                    }
                }
                final long expected = (long)EVENTS * (H1_SUBSCRIBERS + H2_STREAMS);
                Await.until("every delivery written", () -> broker.deliveries() - deliveriesBefore == expected);

                assertEquals(sequencerAlone, counting.sequencerBuffers.sum(),
                    "sequencer buffers for " + EVENTS + " events: same with 50 subscribers as with none");
                final long pooled = payloadSizedAllocations() - pooledBefore;
                assertTrue(pooled - pooledAlone < (H1_SUBSCRIBERS + H2_STREAMS),
                    "payload-sized pooled allocations: " + pooled + " with subscribers, " + pooledAlone + " without; " +
                    "a copy per delivery would add " + expected);
                final long delivered = expected * PAYLOAD_BYTES;
                final long loopBytes = counting.loopBytes.sum() - loopBytesAlone;
                assertTrue(loopBytes < delivered / 20,
                    "event loops allocated " + loopBytes + " bytes beyond publishing to deliver " + delivered +
                    " payload bytes: a copy per subscriber would be at least that much");
            }
            finally
            {
                for (final SseStream stream : h1)
                {
                    stream.close();
                }
                h2.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * @return allocations of a page run or more (8 KiB and up) the default pool has made, heap and direct.
     */
    private static long payloadSizedAllocations()
    {
        long total = 0;
        for (final PoolArenaMetric arena : PooledByteBufAllocator.DEFAULT.metric().directArenas())
        {
            total += arena.numNormalAllocations() + arena.numHugeAllocations();
        }
        for (final PoolArenaMetric arena : PooledByteBufAllocator.DEFAULT.metric().heapArenas())
        {
            total += arena.numNormalAllocations() + arena.numHugeAllocations();
        }
        return total;
    }

    private static void publish(final Broker broker, final String topic, final String payload, final int count)
        throws IOException, InterruptedException
    {
        for (int i = 0; i < count; i++)
        {
            final var response = JdkHttp.CLIENT.send(
                java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + broker.httpPort() + "/publish?topic=" + topic))
                    .header("Content-Type", "text/plain")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(payload, StandardCharsets.UTF_8)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
        }
    }

    /** Pooled buffers, counted by the kind of thread that allocates them. */
    private static final class CountingAllocator extends AbstractByteBufAllocator
    {
        final LongAdder sequencerBuffers = new LongAdder();
        final LongAdder loopBytes = new LongAdder();

        CountingAllocator()
        {
            super(true);
        }

        void reset()
        {
            sequencerBuffers.reset();
            loopBytes.reset();
        }

        private void count(final int initialCapacity)
        {
            final String thread = Thread.currentThread().getName();
            if (thread.startsWith("sequencer"))
            {
                sequencerBuffers.increment();
            }
            else if (thread.startsWith("loop"))
            {
                loopBytes.add(initialCapacity);
            }
        }

        @Override
        protected ByteBuf newHeapBuffer(final int initialCapacity, final int maxCapacity)
        {
            count(initialCapacity);
            return PooledByteBufAllocator.DEFAULT.heapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newDirectBuffer(final int initialCapacity, final int maxCapacity)
        {
            count(initialCapacity);
            return PooledByteBufAllocator.DEFAULT.directBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled()
        {
            return true;
        }
    }
}

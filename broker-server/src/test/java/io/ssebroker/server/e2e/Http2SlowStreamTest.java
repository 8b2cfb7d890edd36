package io.ssebroker.server.e2e;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.netty.handler.codec.http2.Http2Error;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.H2cTestClient;
import io.ssebroker.server.testing.SseText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One stream that stops reading must not hold up the other streams of its connection, nor cost the
 * connection: HTTP/2 flow control closes that stream's window only, the broker stops writing to it,
 * and past the grace period resets it alone (RST_STREAM CANCEL, counted), while its 99 siblings on
 * the same socket receive every event in order and the connection goes on.
 * <p>
 * The client announces a 16 KiB stream window and a large connection window, and never returns the
 * window of the stalled stream: 64 events of 1 KiB close it after about 15 events. The healthy
 * streams' own 16 KiB windows bound what the broker has in flight to about 1.6 MiB, below its
 * connection write buffer, so the socket never stops taking bytes and only the stalled stream is
 * "slow".
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Http2SlowStreamTest
{
    private static final long SLOW_GRACE_MS = 500;
    private static final int STREAMS = 100;
    private static final int STALLED = 42;
    private static final int EVENTS = 64;
    private static final int STREAM_WINDOW_BYTES = 16 * 1024;
    private static final int CONNECTION_WINDOW_BYTES = 64 * 1024 * 1024;
    private static final String TOPIC = "h2-slow";

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.with(config -> config.slowGraceMs(SLOW_GRACE_MS))
        .withPublisher("h2-slow-stream-test");

    @Test
    void shouldResetOnlyStalledStreamAndDeliverEveryEventToTheOthers() throws Exception
    {
        final long resetsBefore = broker.counters().get(Counter.HTTP2_STREAMS_RESET_SLOW);
        final long evictedBefore = broker.counters().get(Counter.HTTP2_CONNECTIONS_EVICTED_SLOW);
        try (H2cTestClient client = H2cTestClient.connect(broker.httpPort(), STREAM_WINDOW_BYTES, CONNECTION_WINDOW_BYTES))
        {
            final int[] streamIds = new int[STREAMS];
            for (int i = 0; i < STREAMS; i++)
            {
                final String path = "/events?topic=" + TOPIC;
                streamIds[i] = STALLED == i ? client.getStalled(path) : client.get(path);
            }
            final int stalled = streamIds[STALLED];
            for (final int streamId : streamIds)
            {
                assertEquals(H2cTestClient.PREAMBLE, client.awaitText(streamId, H2cTestClient.PREAMBLE));
            }

            final StringBuilder expected = new StringBuilder(H2cTestClient.PREAMBLE);
            appendEvents(expected, publish(0, EVENTS));
            final String all = expected.toString();
            Await.until(() -> "every healthy stream to receive " + EVENTS + " events and the stalled one to be reset; " +
                "stalled stream has " + client.receivedBytes(stalled) + " bytes, reset " + client.resetCode(stalled) +
                "; connection: " + lastOf(client.timeline()),
                () -> client.resetCode(stalled) >= 0 && allReceived(client, streamIds, stalled, all.length()),
                Duration.ofSeconds(15));

            assertEquals(Http2Error.CANCEL.code(), client.resetCode(stalled), "stalled stream's RST_STREAM code");
            assertEquals(resetsBefore + 1, broker.counters().get(Counter.HTTP2_STREAMS_RESET_SLOW), "slow stream resets");
            assertEquals(evictedBefore, broker.counters().get(Counter.HTTP2_CONNECTIONS_EVICTED_SLOW),
                "the connection as a whole was reading");
            for (final int streamId : streamIds)
            {
                if (stalled != streamId)
                {
                    assertEquals(all, client.text(streamId), "stream " + streamId);
                    assertEquals(-1, client.resetCode(streamId), "stream " + streamId + " must not be reset");
                }
            }
            final String partial = client.text(stalled);
            assertTrue(partial.length() < all.length() && all.startsWith(partial),
                "the stalled stream got a clean prefix of the events, up to its window: " + SseText.printable(
                    partial.length() > 200 ? "..." + partial.substring(partial.length() - 200) : partial));
            assertTrue(client.receivedBytes(stalled) <= STREAM_WINDOW_BYTES, "the broker kept to the stalled stream's window");

            // The connection goes on: the healthy streams get the next event too.
            appendEvents(expected, publish(EVENTS, 1));
            final String more = expected.toString();
            for (final int streamId : streamIds)
            {
                if (stalled != streamId)
                {
                    assertEquals(more, client.awaitText(streamId, more), "stream " + streamId + " after the reset");
                }
            }
            assertTrue(client.isOpen(), "the connection must stay open");
            assertTrue(client.goAways().isEmpty(), "no GOAWAY: " + client.goAways());
            assertTrue(client.errors().isEmpty(), "protocol errors: " + client.errors());
        }
    }

    /**
     * Publishes events {@code first ..} of 1 KiB each and returns their ids and data, in order.
     */
    private static List<String[]> publish(final int first, final int count) throws Exception
    {
        final List<CompletableFuture<Long>> ids = new ArrayList<>();
        final List<String> data = new ArrayList<>();
        for (int i = first; i < first + count; i++)
        {
            final char[] filler = new char[1024 - 6];
            Arrays.fill(filler, (char)('a' + i % 26));
            final String text = String.format("e%04d-", i) + new String(filler);
            data.add(text);
            ids.add(broker.publisher().publish(TOPIC, null, text.getBytes(StandardCharsets.UTF_8)));
        }
        final List<String[]> events = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            events.add(new String[] {Long.toString(ids.get(i).get(10, TimeUnit.SECONDS)), data.get(i)});
        }
        return events;
    }

    private static void appendEvents(final StringBuilder text, final List<String[]> events)
    {
        for (final String[] event : events)
        {
            text.append("id: ").append(event[0]).append("\ndata: ").append(event[1]).append("\n\n");
        }
    }

    private static boolean allReceived(final H2cTestClient client, final int[] streamIds, final int stalled, final int bytes)
    {
        for (final int streamId : streamIds)
        {
            if (stalled != streamId && client.receivedBytes(streamId) < bytes)
            {
                return false;
            }
        }
        return true;
    }

    private static List<String> lastOf(final List<String> timeline)
    {
        return timeline.subList(Math.max(0, timeline.size() - 10), timeline.size());
    }
}

package io.ssebroker.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.ssebroker.codec.SseControlFrames;
import io.ssebroker.fanout.EvictionReason;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.metrics.MetricsRegistry;
import io.ssebroker.server.metrics.HttpMetrics;
import io.ssebroker.server.testing.Outbound;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The HTTP/1.1 event-stream sink's bytes on an {@link EmbeddedChannel}: chunked control text, the heartbeat and
 * the end of body for HTTP/1.1; the bare SSE payload of a frame for HTTP/1.0, which has no chunked framing.
 */
class SseStreamHandlerTest
{
    private static final String PAYLOAD = "id: 7\ndata: hi\n\n";
    private EmbeddedChannel channel;

    @AfterEach
    void tearDown()
    {
        channel.finishAndReleaseAll();
    }

    @Test
    void shouldChunkControlTextAndEndTheBodyOnShutdown()
    {
        final SseStreamHandler handler = open(false);
        handler.writeControl(SseControlFrames.preamble(3000));
        handler.writeHeartbeat();
        handler.endBatch();
        assertEquals("12\r\nretry: 3000\n: ok\n\n\r\n" + "3\r\n:\n\n\r\n", Outbound.text(channel));

        handler.close(EvictionReason.SHUTDOWN);
        channel.runPendingTasks();
        assertEquals("0\r\n\r\n", Outbound.text(channel));
        assertFalse(channel.isOpen(), "closed once the end of body is written");
    }

    @Test
    void shouldWriteTheBarePayloadForHttp10()
    {
        final SseStreamHandler handler = open(true);
        // The frame as the sequencer encodes it: a chunk header, the SSE payload, the chunk's CRLF.
        final String chunk = Integer.toHexString(PAYLOAD.length()) + "\r\n" + PAYLOAD + "\r\n";
        final ByteBuf frame = Unpooled.copiedBuffer(chunk, StandardCharsets.US_ASCII);
        final int payloadOffset = chunk.indexOf(PAYLOAD);
        handler.writeEvent(frame, payloadOffset, PAYLOAD.length());
        handler.writeHeartbeat();
        handler.endBatch();
        assertEquals(PAYLOAD + ":\n\n", Outbound.text(channel));
    }

    private SseStreamHandler open(final boolean http10)
    {
        final SseStreamHandler handler = new SseStreamHandler(
            null, new BrokerCounters(), new HttpMetrics(new MetricsRegistry(64)), http10);
        channel = new EmbeddedChannel(handler);
        return handler;
    }
}

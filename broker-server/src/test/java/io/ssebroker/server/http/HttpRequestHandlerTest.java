package io.ssebroker.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.ssebroker.engine.BrokerEngine;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.Outbound;
import io.ssebroker.server.testing.EngineBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP/1.1 request handler and its codec alone on an {@link EmbeddedChannel}, against an engine built but not
 * started: the exact bytes of an event stream's head and first chunk, and of the documented refusals.
 */
class HttpRequestHandlerTest
{
    private final BrokerConfig config = BrokerConfig.defaults();
    private final EngineBackend backend = new EngineBackend(config);
    private final BrokerCounters counters = backend.counters();
    private final BrokerEngine engine = backend.engine();
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp()
    {
        channel = new EmbeddedChannel();
        channel.pipeline().addLast("base", new ChannelInboundHandlerAdapter());
        new HttpServerInitializer(backend).addHttp1(channel.pipeline(), "base", false);
    }

    @AfterEach
    void tearDown()
    {
        channel.finishAndReleaseAll();
        backend.close();
    }

    @Test
    void shouldOpenAnEventStreamWithTheDocumentedHeadAndPreamble()
    {
        request("GET /events?topic=ticker.AAPL HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals(
            "HTTP/1.1 200 OK\r\n" +
            "Content-Type: text/event-stream; charset=utf-8\r\n" +
            "Cache-Control: no-cache\r\n" +
            "X-Accel-Buffering: no\r\n" +
            "Transfer-Encoding: chunked\r\n" +
            "Access-Control-Allow-Origin: *\r\n" +
            "\r\n" +
            "12\r\nretry: 3000\n: ok\n\n\r\n",
            Outbound.text(channel));
        assertTrue(channel.isOpen());
        assertEquals(1, engine.fanOut(0).subscriberCount());
    }

    @Test
    void shouldRefuseAMissingTopicWith400AndAReason()
    {
        request("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
        final String response = Outbound.text(channel);
        assertTrue(response.startsWith("HTTP/1.1 400 Bad Request\r\n"), response);
        assertTrue(response.endsWith("\r\n\r\nmissing topic parameter (GET /events?topic=NAME)\n"), response);
    }

    @Test
    void shouldRefuseAnUnknownPathWith404()
    {
        request("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
        final String response = Outbound.text(channel);
        assertTrue(response.startsWith("HTTP/1.1 404 Not Found\r\n"), response);
        assertTrue(response.endsWith("\r\n\r\nno such path: /nowhere (try GET /events?topic=NAME or POST /publish)\n"), response);
    }

    private void request(final String text)
    {
        channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
        channel.runPendingTasks();
    }
}

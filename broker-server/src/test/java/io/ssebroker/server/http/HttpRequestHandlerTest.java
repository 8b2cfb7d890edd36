package io.ssebroker.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.ssebroker.engine.BrokerEngine;
import io.ssebroker.fanout.LoopFanOut;
import io.ssebroker.ingest.IngestRing;
import io.ssebroker.ingest.PublisherSessions;
import io.ssebroker.log.TopicRegistry;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.metrics.MetricsRegistry;
import io.ssebroker.server.auth.Authenticator;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.edge.ConnectionLimits;
import io.ssebroker.server.edge.HttpBackend;
import io.ssebroker.server.metrics.HttpMetrics;
import io.ssebroker.server.metrics.PrometheusExposition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP/1.1 request handler and its codec alone on an {@link EmbeddedChannel}, against an engine built but not
 * started: the exact bytes of an event stream's head and first chunk, and of the documented refusals.
 */
class HttpRequestHandlerTest
{
    private final BrokerConfig config = BrokerConfig.defaults();
    private final MetricsRegistry metrics = new MetricsRegistry();
    private final BrokerCounters counters = new BrokerCounters(metrics);
    private BrokerEngine engine;
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp()
    {
        engine = new BrokerEngine(config.engineConfig(), List.of(Runnable::run), UnpooledByteBufAllocator.DEFAULT,
            metrics, error -> { });
        channel = new EmbeddedChannel();
        channel.pipeline().addLast("base", new ChannelInboundHandlerAdapter());
        new HttpServerInitializer(new TestBackend()).addHttp1(channel.pipeline(), "base", false);
    }

    @AfterEach
    void tearDown()
    {
        channel.finishAndReleaseAll();
        engine.fanOut(0).release();
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
            written());
        assertTrue(channel.isOpen());
        assertEquals(1, engine.fanOut(0).subscriberCount());
    }

    @Test
    void shouldRefuseAMissingTopicWith400AndAReason()
    {
        request("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
        final String response = written();
        assertTrue(response.startsWith("HTTP/1.1 400 Bad Request\r\n"), response);
        assertTrue(response.endsWith("\r\n\r\nmissing topic parameter (GET /events?topic=NAME)\n"), response);
    }

    @Test
    void shouldRefuseAnUnknownPathWith404()
    {
        request("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
        final String response = written();
        assertTrue(response.startsWith("HTTP/1.1 404 Not Found\r\n"), response);
        assertTrue(response.endsWith("\r\n\r\nno such path: /nowhere (try GET /events?topic=NAME or POST /publish)\n"), response);
    }

    private void request(final String text)
    {
        channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
        channel.runPendingTasks();
    }

    /** Everything written so far, as text. */
    private String written()
    {
        final StringBuilder out = new StringBuilder();
        for (Object message = channel.readOutbound(); null != message; message = channel.readOutbound())
        {
            final ByteBuf buf = (ByteBuf)message;
            out.append(buf.toString(StandardCharsets.UTF_8));
            buf.release();
        }
        return out.toString();
    }

    /** The engine's parts and fresh bookkeeping: what the handler may see of a broker. */
    private final class TestBackend implements HttpBackend
    {
        private final HttpMetrics httpMetrics = new HttpMetrics(metrics);
        private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        private final ConnectionLimits limits = new ConnectionLimits(0, 0, counters);

        @Override
        public BrokerConfig config()
        {
            return config;
        }

        @Override
        public BrokerCounters counters()
        {
            return counters;
        }

        @Override
        public IngestRing ingestRing()
        {
            return engine.ingestRing();
        }

        @Override
        public PublisherSessions sessions()
        {
            return engine.sessions();
        }

        @Override
        public LoopFanOut fanOut(final EventLoop loop)
        {
            return engine.fanOut(0);
        }

        @Override
        public TopicRegistry topics()
        {
            return engine.topics();
        }

        @Override
        public Authenticator authenticator()
        {
            return Authenticator.OPEN;
        }

        @Override
        public HttpMetrics httpMetrics()
        {
            return httpMetrics;
        }

        @Override
        public PrometheusExposition exposition()
        {
            return new PrometheusExposition(metrics);
        }

        @Override
        public boolean isClosing()
        {
            return false;
        }

        @Override
        public boolean isReady()
        {
            return true;
        }

        @Override
        public ChannelGroup httpChannels()
        {
            return channels;
        }

        @Override
        public ConnectionLimits connectionLimits()
        {
            return limits;
        }
    }
}

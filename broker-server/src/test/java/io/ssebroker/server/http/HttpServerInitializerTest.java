package io.ssebroker.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.EngineBackend;
import io.ssebroker.server.testing.H2Wire;
import io.ssebroker.server.testing.Outbound;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cleartext HTTP port's first handler on an {@link EmbeddedChannel}: the h2c preface (even split across reads)
 * becomes an HTTP/2 pipeline, anything else an HTTP/1.1 one with the h2c upgrade, and the detector leaves.
 */
class HttpServerInitializerTest
{
    private final EngineBackend backend = new EngineBackend(BrokerConfig.defaults());
    private final EmbeddedChannel channel = new EmbeddedChannel(new HttpServerInitializer(backend));

    @AfterEach
    void tearDown()
    {
        channel.finishAndReleaseAll();
        backend.close();
    }

    @Test
    void shouldServeHttp2ForThePrefaceEvenInPieces()
    {
        assertNotNull(channel.pipeline().get(HttpServerInitializer.DETECTOR));
        channel.writeInbound(Unpooled.wrappedBuffer(H2Wire.PREFACE, 0, 10));
        assertNotNull(channel.pipeline().get(HttpServerInitializer.DETECTOR), "still deciding after 10 bytes");
        channel.writeInbound(Unpooled.wrappedBuffer(H2Wire.PREFACE, 10, H2Wire.PREFACE.length - 10));
        assertNull(channel.pipeline().get(HttpServerInitializer.DETECTOR));
        assertNotNull(channel.pipeline().get(HttpServerInitializer.HTTP2));
        assertNull(channel.pipeline().get(HttpServerInitializer.CODEC));
    }

    @Test
    void shouldServeHttp11WithTheUpgradeForAnythingElse()
    {
        channel.writeInbound(Unpooled.copiedBuffer("GET /health HTTP/1.1\r\nHost: x\r\n\r\n", StandardCharsets.US_ASCII));
        assertNull(channel.pipeline().get(HttpServerInitializer.DETECTOR));
        assertNotNull(channel.pipeline().get(HttpServerInitializer.CODEC));
        assertNotNull(channel.pipeline().get(HttpServerInitializer.UPGRADE));
        assertNotNull(channel.pipeline().get(HttpServerInitializer.REQUESTS));
        final String response = Outbound.text(channel);
        assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
        assertTrue(response.endsWith("\r\n\r\nok\n"), response);
        assertEquals(1, backend.httpChannels().size(), "the connection is counted among the HTTP channels");
    }
}

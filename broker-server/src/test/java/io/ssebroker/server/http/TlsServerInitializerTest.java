package io.ssebroker.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.EngineBackend;
import io.ssebroker.server.tls.ServerTls;
import io.ssebroker.server.tls.TlsContexts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TLS port's initializer between two {@link EmbeddedChannel}s, a JDK TLS client on one side: ALPN's choice
 * builds the pipeline, {@code h2} the HTTP/2 handler, {@code http/1.1} (or no ALPN) the HTTP/1.1 handlers without
 * the cleartext upgrade.
 */
class TlsServerInitializerTest
{
    private static final ServerTls TLS = TlsContexts.selfSigned(TlsContexts.Provider.JDK);

    private final EngineBackend backend = new EngineBackend(BrokerConfig.defaults());
    private EmbeddedChannel server;
    private EmbeddedChannel client;

    @AfterEach
    void tearDown()
    {
        client.finishAndReleaseAll();
        server.finishAndReleaseAll();
        backend.close();
    }

    @Test
    void shouldServeHttp2WhenTheClientChoosesH2() throws SSLException
    {
        handshake(ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1);
        assertEquals(ApplicationProtocolNames.HTTP_2, client.pipeline().get(SslHandler.class).applicationProtocol());
        assertNotNull(server.pipeline().get(HttpServerInitializer.HTTP2));
        assertNull(server.pipeline().get(HttpServerInitializer.CODEC));
        assertNull(server.pipeline().get(TlsServerInitializer.ALPN), "negotiation is done and leaves");
    }

    @Test
    void shouldServeHttp11WithoutTheUpgradeOtherwise() throws SSLException
    {
        handshake(ApplicationProtocolNames.HTTP_1_1);
        assertNotNull(server.pipeline().get(HttpServerInitializer.CODEC));
        assertNotNull(server.pipeline().get(HttpServerInitializer.REQUESTS));
        assertNull(server.pipeline().get(HttpServerInitializer.UPGRADE), "no h2c upgrade over TLS");
        assertNull(server.pipeline().get(HttpServerInitializer.HTTP2));
    }

    private void handshake(final String... protocols) throws SSLException
    {
        final HttpServerInitializer http = new HttpServerInitializer(backend);
        server = new EmbeddedChannel(new TlsServerInitializer(backend, TLS.sslContext(), http));
        final SslContext clientContext = SslContextBuilder.forClient()
            .sslProvider(SslProvider.JDK)
            .trustManager(InsecureTrustManagerFactory.INSTANCE)
            .applicationProtocolConfig(new ApplicationProtocolConfig(
                ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                List.of(protocols)))
            .build();
        client = new EmbeddedChannel();
        client.pipeline().addLast(clientContext.newHandler(client.alloc(), "localhost", 443));
        final SslHandler clientTls = client.pipeline().get(SslHandler.class);
        for (int round = 0; round < 50 && !(clientTls.handshakeFuture().isDone() && null == server.pipeline().get(TlsServerInitializer.ALPN)); round++)
        {
            shuttle(client, server);
            shuttle(server, client);
        }
        assertTrue(clientTls.handshakeFuture().isSuccess(), String.valueOf(clientTls.handshakeFuture().cause()));
    }

    /** Moves everything one side has written into the other side's inbound. */
    private static void shuttle(final EmbeddedChannel from, final EmbeddedChannel to)
    {
        from.runPendingTasks();
        for (Object message = from.readOutbound(); null != message; message = from.readOutbound())
        {
            to.writeInbound((ByteBuf)message);
        }
        to.runPendingTasks();
    }
}

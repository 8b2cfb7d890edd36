package io.ssebroker.server.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslContext;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.edge.ConnectionErrors;
import io.ssebroker.server.edge.HttpBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;

/**
 * Pipeline of a new connection on the TLS port:
 * <pre>
 *   SslHandler → ALPN ─┬─ h2 ───────────────────► Http2BrokerHandler
 *                      └─ http/1.1 (or none) ───► HttpServerCodec → HttpRequestHandler
 * </pre>
 * The handlers after TLS are the cleartext port's ({@link HttpServerInitializer}), without the h2c
 * upgrade, which RFC 9113 3.2 reserves for cleartext.
 */
public final class TlsServerInitializer extends ChannelInitializer<Channel>
{
    public static final String TLS = "tls";
    public static final String ALPN = "alpn";

    private static final Logger LOG = LoggerFactory.getLogger(TlsServerInitializer.class);

    private final HttpBackend broker;
    private final SslContext sslContext;
    private final HttpServerInitializer http;

    public TlsServerInitializer(final HttpBackend broker, final SslContext sslContext, final HttpServerInitializer http)
    {
        this.broker = broker;
        this.sslContext = sslContext;
        this.http = http;
    }

    @Override
    protected void initChannel(final Channel ch)
    {
        // Nothing can be said before the TLS handshake: a refused connection is closed.
        if (!broker.connectionLimits().admit(ch, null))
        {
            return;
        }
        broker.httpChannels().add(ch);
        ch.pipeline()
            .addLast(TLS, sslContext.newHandler(ch.alloc()))
            .addLast(ALPN, new Negotiation());
    }

    private final class Negotiation extends ApplicationProtocolNegotiationHandler
    {
        Negotiation()
        {
            // A client that offers no ALPN (curl --http1.1, old clients) speaks HTTP/1.1.
            super(ApplicationProtocolNames.HTTP_1_1);
        }

        /**
         * Before ALPN has chosen, nothing behind this handles errors, and Netty's handler would log each one
         * as a warning. A peer resetting a connection before or during its handshake is counted as an I/O
         * error; a handshake that fails on what the client sent (plain HTTP to this port, a protocol or
         * cipher TLS refuses) is bad input, counted and logged at debug; only anything else is logged.
         */
        @Override
        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            if (cause instanceof NotSslRecordException || cause instanceof DecoderException && cause.getCause() instanceof SSLException)
            {
                broker.counters().increment(Counter.TLS_HANDSHAKE_FAILURES);
                LOG.debug("TLS handshake failed: {}: {}", ctx.channel(), cause.toString());
            }
            else
            {
                ConnectionErrors.onException(broker.counters(), LOG, "TLS connection", ctx, cause);
            }
            ctx.close();
        }

        @Override
        protected void configurePipeline(final ChannelHandlerContext ctx, final String protocol)
        {
            if (ApplicationProtocolNames.HTTP_2.equals(protocol))
            {
                http.addHttp2(ctx.pipeline(), ALPN);
            }
            else
            {
                http.addHttp1(ctx.pipeline(), ALPN, false);
            }
        }
    }
}

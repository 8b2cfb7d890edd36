package io.ssebroker.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.ScheduledFuture;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.edge.ConnectionErrors;
import io.ssebroker.server.edge.HttpBackend;
import io.ssebroker.server.metrics.HttpMetrics.Protocol;
import io.ssebroker.server.http2.Http2BrokerHandler;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Pipeline of a new connection on the HTTP port, which serves HTTP/1.1, h2c with prior knowledge
 * and h2c upgraded from HTTP/1.1:
 * <pre>
 *   detector ─┬─ "PRI * HTTP/2.0…" ──► Http2BrokerHandler
 *             └─ anything else ─────► HttpServerCodec (line ≤ 16 KiB, headers ≤ 8 KiB)
 *                                     → HttpServerUpgradeHandler (Upgrade: h2c → Http2BrokerHandler)
 *                                     → HttpRequestHandler
 * </pre>
 * A {@code GET /events} request over HTTP/1.1 replaces the codec, the upgrade handler and the
 * request handler with {@link SseStreamHandler}, which writes pre-encoded chunks directly. Nothing
 * of HTTP/2 is built for a connection that does not ask for it.
 */
public final class HttpServerInitializer extends ChannelInitializer<Channel>
{
    /**
     * Request lines up to 16 KiB: a stream on 256 topics with names of 40 characters needs about
     * 12 KiB of query string.
     */
    static final int MAX_REQUEST_LINE_BYTES = 16 * 1024;

    /** Largest HTTP/1.1 request that may ask for an upgrade to h2c, body included. */
    private static final int MAX_UPGRADE_REQUEST_BYTES = 64 * 1024;

    public static final String DETECTOR = "http-detector";
    public static final String CODEC = "http-codec";
    public static final String UPGRADE = "http-upgrade";
    public static final String REQUESTS = "http-requests";
    public static final String HTTP2 = "http2";

    private static final Logger LOG = LoggerFactory.getLogger(HttpServerInitializer.class);

    private final HttpBackend broker;
    private final HttpResponses responses;

    private static final byte[] TOO_MANY_CONNECTIONS = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n" +
        "Content-Length: 44\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" +
        "too many connections from here; retry later\n").getBytes(StandardCharsets.US_ASCII);

    /**
     * The {@code 408} for a connection that sent nothing within the request timeout, byte for byte the
     * answer {@link HttpRequestHandler} gives a request that does not complete, written without building
     * the HTTP/1.1 handlers: a flood of idle connections is mostly this.
     */
    private final byte[] silentTimeout;

    public HttpServerInitializer(final HttpBackend broker)
    {
        this.broker = broker;
        this.responses = new HttpResponses(broker.config().corsOrigins());
        this.silentTimeout = encode(responses.text(UnpooledByteBufAllocator.DEFAULT, HttpResponseStatus.REQUEST_TIMEOUT,
            HttpRequestHandler.requestTimeoutReason(broker.config().requestTimeoutMs()), null));
    }

    /** @return the response as Netty's HTTP/1.1 encoder puts it on the wire, with {@code Connection: close}. */
    private static byte[] encode(final FullHttpResponse response)
    {
        HttpUtil.setKeepAlive(response, false);
        final EmbeddedChannel encoder = new EmbeddedChannel(new HttpResponseEncoder());
        encoder.writeOutbound(response);
        final ByteArrayOutputStream wire = new ByteArrayOutputStream();
        for (ByteBuf part = encoder.readOutbound(); null != part; part = encoder.readOutbound())
        {
            wire.writeBytes(ByteBufUtil.getBytes(part));
            part.release();
        }
        encoder.finishAndReleaseAll();
        return wire.toByteArray();
    }

    @Override
    protected void initChannel(final Channel ch)
    {
        if (!broker.connectionLimits().admit(ch, TOO_MANY_CONNECTIONS))
        {
            return;
        }
        broker.httpChannels().add(ch);
        ch.pipeline().addLast(DETECTOR, new ProtocolDetector());
    }

    /**
     * Adds the HTTP/1.1 handlers after {@code base}, for the cleartext port (with the h2c upgrade)
     * or for TLS connections that chose {@code http/1.1} by ALPN (without).
     */
    public void addHttp1(final ChannelPipeline pipeline, final String base, final boolean upgrade)
    {
        final HttpServerCodec codec = new HttpServerCodec(MAX_REQUEST_LINE_BYTES, 8192, 65536);
        pipeline.addAfter(base, CODEC, codec);
        String last = CODEC;
        if (upgrade)
        {
            pipeline.addAfter(CODEC, UPGRADE, new BodilessUpgradeHandler(codec));
            last = UPGRADE;
        }
        pipeline.addAfter(last, REQUESTS, new HttpRequestHandler(broker, responses));
    }

    /**
     * Adds the HTTP/2 handler after {@code base}.
     */
    public void addHttp2(final ChannelPipeline pipeline, final String base)
    {
        pipeline.addAfter(base, HTTP2, Http2BrokerHandler.create(broker, responses));
    }

    private HttpServerUpgradeHandler.UpgradeCodec upgradeCodec(final CharSequence protocol)
    {
        if (AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol))
        {
            return new Http2ServerUpgradeCodec(HTTP2, Http2BrokerHandler.create(broker, responses));
        }
        return null;
    }

    /**
     * Upgrades to h2c only a request without a body and without {@code Expect}, and serves any other
     * over HTTP/1.1 as if it had not asked (a server may ignore {@code Upgrade}, RFC 9110 7.8). To
     * upgrade, Netty's handler first collects the request whole, and that aggregator answers by itself
     * an expectation it cannot meet (417) or a declared body over its limit (413): bare statuses with
     * no reason, no counter and no CORS, which the broker does not document (found by fuzzing the HTTP
     * port). h2c clients (curl, nghttp) upgrade with a bodiless request, so they are not affected.
     * Nor is a request upgraded that HTTP/2 cannot carry: Netty's HTTP/1.1 decoder lets through a
     * target with a NUL byte, say, which its HTTP/2 headers refuse (found by fuzzing too).
     */
    private final class BodilessUpgradeHandler extends HttpServerUpgradeHandler
    {
        BodilessUpgradeHandler(final HttpServerCodec codec)
        {
            super(codec, HttpServerInitializer.this::upgradeCodec, MAX_UPGRADE_REQUEST_BYTES);
        }

        @Override
        protected boolean shouldHandleUpgradeRequest(final HttpRequest request)
        {
            final HttpHeaders headers = request.headers();
            return request.decoderResult().isSuccess() &&
                !headers.contains(HttpHeaderNames.EXPECT) &&
                !headers.contains(HttpHeaderNames.TRANSFER_ENCODING) &&
                (!headers.contains(HttpHeaderNames.CONTENT_LENGTH) ||
                    "0".equals(headers.get(HttpHeaderNames.CONTENT_LENGTH).trim())) &&
                carriedByHttp2(request);
        }

        /** @return whether the request converts to HTTP/2 headers as {@code Http2BrokerHandler} will convert it. */
        private boolean carriedByHttp2(final HttpRequest request)
        {
            final HttpHeaders headers = request.headers().copy()
                .set(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(), "http");
            try
            {
                HttpConversionUtil.toHttp2Headers(
                    new DefaultHttpRequest(request.protocolVersion(), request.method(), request.uri(), headers), true);
                return true;
            }
            catch (final IllegalArgumentException ex)
            {
                return false;
            }
        }
    }

    /**
     * Tells an HTTP/2 client with prior knowledge (RFC 9113 3.3) from an HTTP/1.x one by the first
     * bytes, installs the handlers for the protocol and steps aside; the bytes read so far go on to
     * them.
     */
    private final class ProtocolDetector extends ByteToMessageDecoder
    {
        private ScheduledFuture<?> timeout;
        /** Answered 408 and closing: whatever still arrives is dropped. */
        private boolean timedOut;

        @Override
        public void handlerAdded(final ChannelHandlerContext ctx)
        {
            // A client that sends nothing is answered like one whose request never completes: 408.
            timeout = ctx.executor().schedule(() -> onTimeout(ctx),
                HttpRequestHandler.spreadTimeoutNs(broker.config().requestTimeoutMs()), TimeUnit.NANOSECONDS);
        }

        @Override
        protected void handlerRemoved0(final ChannelHandlerContext ctx)
        {
            timeout.cancel(false);
        }

        /**
         * Before the protocol is known nothing behind this handles errors: a peer resetting a connection it has
         * not used yet (a load generator exiting, a browser's unused preconnect) is counted, not logged.
         */
        @Override
        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            ConnectionErrors.onException(broker.counters(), LOG, "HTTP connection", ctx, cause);
            ctx.close();
        }

        private void onTimeout(final ChannelHandlerContext ctx)
        {
            if (ctx.isRemoved() || !ctx.channel().isActive())
            {
                return;
            }
            if (0 == actualReadableBytes())
            {
                timedOut = true;
                broker.counters().increment(Counter.HTTP_REQUEST_TIMEOUT);
                broker.httpMetrics().response(Protocol.HTTP_1_1, HttpResponseStatus.REQUEST_TIMEOUT.code());
                ctx.writeAndFlush(Unpooled.wrappedBuffer(silentTimeout)).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            // Part of a request line (or of the HTTP/2 preface): answered by the HTTP/1.1 handlers, with
            // what they make of those bytes.
            addHttp1(ctx.pipeline(), DETECTOR, false);
            ctx.pipeline().remove(this);
            ((HttpRequestHandler)ctx.pipeline().get(REQUESTS)).onRequestTimeout();
        }

        @Override
        protected void decode(final ChannelHandlerContext ctx, final ByteBuf in, final List<Object> out)
        {
            if (timedOut)
            {
                in.skipBytes(in.readableBytes());
                return;
            }
            final ByteBuf preface = Http2CodecUtil.connectionPrefaceBuf();
            try
            {
                final int compared = Math.min(in.readableBytes(), preface.readableBytes());
                final boolean matches = ByteBufUtil.equals(in, in.readerIndex(), preface, preface.readerIndex(), compared);
                if (matches && compared < preface.readableBytes())
                {
                    // Could still be the preface: wait for more bytes.
                    return;
                }
                if (matches)
                {
                    addHttp2(ctx.pipeline(), DETECTOR);
                }
                else
                {
                    addHttp1(ctx.pipeline(), DETECTOR, true);
                }
                ctx.pipeline().remove(this);
            }
            finally
            {
                preface.release();
            }
        }
    }
}

package io.ssebroker.server.http2;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2EventAdapter;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;
import io.netty.util.AsciiString;
import io.ssebroker.fanout.LoopFanOut;
import io.ssebroker.fanout.SinkConnection;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.edge.BrokerEvent;
import io.ssebroker.server.edge.HttpBackend;
import io.ssebroker.server.metrics.HttpMetrics.Protocol;
import io.ssebroker.server.metrics.PrometheusExposition;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.edge.ConnectionErrors;
import io.ssebroker.server.auth.Access;
import io.ssebroker.server.http.HttpRejection;
import io.ssebroker.server.http.HttpResponses;
import io.ssebroker.server.http.HttpServerInitializer;
import io.ssebroker.server.http.PublishQueue;
import io.ssebroker.server.http.PublishRequest;
import io.ssebroker.server.http.RequestAccess;
import io.ssebroker.server.http.RequestTarget;
import io.ssebroker.server.http.StaticPages;
import io.ssebroker.server.http.SubscribeRequest;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/2 connection (h2c with prior knowledge, h2c upgraded from HTTP/1.1, or h2 over TLS) and
 * all its streams, driven through one {@link Http2ConnectionHandler} as gRPC-java and Armeria drive
 * long-lived server streams: no child channel or pipeline per stream.
 *
 * <h2>Streams</h2>
 * <ul>
 *   <li>{@code GET /events}: the response headers, then the stream is a subscriber
 *       ({@link Http2StreamSink}) whose DATA frames carry retained slices of the shared encoded
 *       events; it never ends on its own.</li>
 *   <li>{@code POST /publish}: the body is collected, parsed like an HTTP/1.1 publish and handed to
 *       the connection's {@link PublishQueue}; the answer (the id) ends the stream.</li>
 *   <li>Everything else, and every rejection: the same status and one-line reason as over
 *       HTTP/1.1 ({@link RequestTarget}, {@link SubscribeRequest}, {@link PublishRequest}).</li>
 * </ul>
 *
 * <h2>Flow control</h2>
 * The stream and connection windows are Netty's remote flow controller's; bytes are distributed
 * uniformly over writable streams ({@link UniformStreamByteDistributor}, cheaper than the weighted
 * default for many flat streams). A subscription's DATA that both windows take at once skips the
 * encoder's per-frame queueing and goes straight to the channel, its bytes taken from the windows
 * through the flow controller ({@link #writeData}). Streams are flushed together: the fan-out
 * flushes the connection once per batch. Inbound bytes are returned to the client's window as soon as they are read; a
 * body is bounded by the same limit as over HTTP/1.1.
 *
 * <h2>Errors and abuse</h2>
 * Rapid reset, server-side reset floods, CONTINUATION floods, control-frame floods and empty DATA
 * frame floods are stopped by Netty's limits set in {@link Builder}; each ends the connection with
 * GOAWAY (mostly {@code ENHANCE_YOUR_CALM}), counted by error code. A stream error resets that stream
 * only.
 *
 * <h2>Shutdown</h2>
 * On {@link BrokerEvent#STOP_READING} the connection sends GOAWAY (no new streams, the ones
 * open go on); on {@link BrokerEvent#SHUTDOWN} the broker ends every subscription with
 * END_STREAM and the connection closes once its streams have ended.
 * <p>
 * <b>Threading:</b> confined to the channel's event loop.
 */
public final class Http2BrokerHandler extends Http2ConnectionHandler
{
    private static final Logger LOG = LoggerFactory.getLogger(Http2BrokerHandler.class);
    private static final AsciiString EVENT_STREAM = AsciiString.cached("text/event-stream; charset=utf-8");
    private static final AsciiString NO_CACHE = AsciiString.cached("no-cache");
    private static final AsciiString X_ACCEL_BUFFERING = AsciiString.cached("x-accel-buffering");
    private static final AsciiString NO = AsciiString.cached("no");
    private static final AsciiString LAST_EVENT_ID = AsciiString.cached("last-event-id");
    private static final AsciiString IDEMPOTENCY_KEY = AsciiString.cached("idempotency-key");
    private static final int FRAME_HEADER_BYTES = 9;
    /** DATA written past the encoder stays within the frame size every peer accepts (RFC 9113 4.2). */
    private static final int MAX_DIRECT_FRAME_BYTES = Http2CodecUtil.DEFAULT_MAX_FRAME_SIZE;
    private static final byte DATA_FRAME_TYPE = 0x0;
    /** Room for about 1,800 DATA frame headers. */
    private static final int HEADER_SLAB_BYTES = 16 * 1024;

    private final HttpBackend broker;
    private final HttpResponses responses;
    private final BrokerCounters counters;
    private final int maxBodyBytes;
    private final Http2Connection.PropertyKey sinkKey;
    private final Http2Connection.PropertyKey requestKey;
    private final Http2Stream connectionStream;
    private final Http2RemoteFlowController flow;
    private final SinkConnection sinkConnection = new SinkConnection()
    {
        @Override
        public void flush()
        {
            flushConnection();
        }
    };
    private final List<Http2StreamSink> becameWritable = new ArrayList<>();
    private final Runnable resumeWritable = this::resumeWritable;
    private ChannelHandlerContext ctx;
    /**
     * For every frame the handler writes: none is individually watched (a failing connection is closed as a
     * whole, and the encoder reports its own failures to the connection), and unlike {@code ctx.voidPromise()}
     * it does not fire {@code exceptionCaught} for every frame still queued when the connection closes. With
     * that promise, a connection closed while the flow controller held its streams' DATA (windows shut under
     * load) fired one exception per queued frame, each logged as a warning at the pipeline's tail: 79,118 of
     * them in 30 s at 10,000 streams x 1,000 events/s.
     */
    private ChannelPromise unwatched;
    private ScheduledFuture<?> prefaceTimeout;
    private ByteBuf headerSlab;
    /** The DATA frame queued last on the channel, still unflushed, which the same stream may extend. */
    private Http2Stream openFrameStream;
    private int openFrameHeaderIndex;
    private int openFrameLength;
    private long openFrameQueuedBytes;
    private LoopFanOut fanOut;
    private PublishQueue publishes;
    private boolean stopped;

    private Http2BrokerHandler(
        final HttpBackend broker,
        final HttpResponses responses,
        final Http2ConnectionDecoder decoder,
        final Http2ConnectionEncoder encoder,
        final Http2Settings settings)
    {
        super(decoder, encoder, settings);
        this.broker = broker;
        this.responses = responses;
        this.counters = broker.counters();
        this.maxBodyBytes = broker.config().maxDataBytes() * 3 + 4096;
        final Http2Connection connection = connection();
        this.sinkKey = connection.newKey();
        this.requestKey = connection.newKey();
        this.connectionStream = connection.connectionStream();
        this.flow = encoder.flowController();
        connection.addListener(new Http2ConnectionAdapter()
        {
            @Override
            public void onStreamClosed(final Http2Stream stream)
            {
                onStreamEnded(stream);
            }
        });
        encoder.flowController().listener(new Http2RemoteFlowController.Listener()
        {
            @Override
            public void writabilityChanged(final Http2Stream stream)
            {
                onWritabilityChanged(stream);
            }
        });
        decoder.frameListener(new FrameListener());
    }

    /**
     * @return a handler for a new connection, with the broker's limits and Netty's flood protections.
     */
    public static Http2BrokerHandler create(final HttpBackend broker, final HttpResponses responses)
    {
        return new Builder(broker, responses).build();
    }

    // ------------------------------------------------------------------------------------ lifecycle

    @Override
    public void handlerAdded(final ChannelHandlerContext ctx) throws Exception
    {
        this.ctx = ctx;
        this.unwatched = ctx.channel().unsafe().voidPromise();
        this.fanOut = broker.fanOut(ctx.channel().eventLoop());
        final int high = broker.config().http2ConnectionBufferBytes();
        ctx.channel().config().setWriteBufferWaterMark(new WriteBufferWaterMark(high / 2, high));
        counters.increment(Counter.HTTP2_CONNECTIONS);
        super.handlerAdded(ctx);
        if (broker.isClosing())
        {
            stopped = true;
        }
        // A client that chose HTTP/2 (ALPN, prior knowledge or upgrade) but never sends its preface
        // holds a connection for nothing: the same deadline as an HTTP/1.1 request that never completes.
        prefaceTimeout = ctx.executor().schedule(this::onPrefaceTimeout, broker.config().requestTimeoutMs(),
            TimeUnit.MILLISECONDS);
    }

    private void onPrefaceTimeout()
    {
        prefaceTimeout = null;
        if (decoder().prefaceReceived() || !ctx.channel().isActive())
        {
            return;
        }
        counters.increment(Counter.HTTP_REQUEST_TIMEOUT);
        LOG.debug("HTTP/2 connection from {} sent no preface: closed", ctx.channel().remoteAddress());
        ctx.close();
    }

    private void cancelPrefaceTimeout()
    {
        if (null != prefaceTimeout)
        {
            prefaceTimeout.cancel(false);
            prefaceTimeout = null;
        }
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        cancelPrefaceTimeout();
        releaseHeaderSlab();
        releasePublishes();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved0(final ChannelHandlerContext ctx) throws Exception
    {
        cancelPrefaceTimeout();
        releaseHeaderSlab();
        releasePublishes();
        super.handlerRemoved0(ctx);
    }

    @Override
    public void userEventTriggered(final ChannelHandlerContext ctx, final Object evt) throws Exception
    {
        if (evt instanceof HttpServerUpgradeHandler.UpgradeEvent)
        {
            onUpgrade((HttpServerUpgradeHandler.UpgradeEvent)evt);
        }
        else if (BrokerEvent.STOP_READING == evt)
        {
            stopped = true;
            // No new streams from now on; the open ones go on until the broker ends them.
            closeOpenFrame();
            goAway(ctx, connection().remote().lastStreamCreated(), Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER,
                ctx.newPromise());
            flush(ctx);
        }
        else if (BrokerEvent.SHUTDOWN == evt)
        {
            // Closes once the streams are ended (the broker ends every subscription next), or at
            // the graceful-shutdown timeout. Our own close(), not ctx.close(): a context's close
            // starts at the handler before this one and would skip that wait.
            close(ctx, ctx.newPromise());
        }
        else
        {
            super.userEventTriggered(ctx, evt);
        }
    }

    /**
     * The HTTP/1.1 request that asked for the upgrade is stream 1, half-closed by the client; it is
     * answered over HTTP/2 like any other stream.
     */
    private void onUpgrade(final HttpServerUpgradeHandler.UpgradeEvent upgrade)
    {
        try
        {
            counters.increment(Counter.HTTP2_UPGRADES);
            // The HTTP/1.1 request handler behind us has nothing left to do on this connection.
            if (null != ctx.pipeline().get(HttpServerInitializer.REQUESTS))
            {
                ctx.pipeline().remove(HttpServerInitializer.REQUESTS);
            }
            final FullHttpRequest request = upgrade.upgradeRequest();
            // An upgrade only happens on the cleartext port.
            request.headers().set(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(), "http");
            final Http2Headers headers = HttpConversionUtil.toHttp2Headers(request, true);
            final Http2Stream stream = connection().stream(1);
            if (null == stream)
            {
                return;
            }
            onRequestHeaders(stream, headers, !request.content().isReadable());
            if (request.content().isReadable())
            {
                onRequestData(stream, request.content(), true);
            }
        }
        finally
        {
            upgrade.release();
        }
    }

    @Override
    protected void onConnectionError(
        final ChannelHandlerContext ctx, final boolean outbound, final Throwable cause, final Http2Exception http2Ex)
    {
        final Http2Error error = null == http2Ex ? Http2Error.INTERNAL_ERROR : http2Ex.error();
        if (Http2Error.ENHANCE_YOUR_CALM == error)
        {
            counters.increment(Counter.HTTP2_GOAWAY_ENHANCE_YOUR_CALM);
        }
        else if (Http2Error.PROTOCOL_ERROR == error)
        {
            counters.increment(Counter.HTTP2_GOAWAY_PROTOCOL_ERROR);
        }
        else
        {
            counters.increment(Counter.HTTP2_GOAWAY_OTHER_ERROR);
        }
        if (null == http2Ex)
        {
            ConnectionErrors.onException(counters, LOG, "HTTP/2 connection", ctx, cause);
        }
        else
        {
            LOG.debug("HTTP/2 connection error from {}: {} {}", ctx.channel().remoteAddress(), error, cause.getMessage());
        }
        super.onConnectionError(ctx, outbound, cause, http2Ex);
    }

    @Override
    protected void onStreamError(
        final ChannelHandlerContext ctx,
        final boolean outbound,
        final Throwable cause,
        final Http2Exception.StreamException http2Ex)
    {
        counters.increment(Counter.HTTP2_STREAM_ERRORS);
        super.onStreamError(ctx, outbound, cause, http2Ex);
    }

    // ------------------------------------------------------------------------------------ requests

    private void onRequestHeaders(final Http2Stream stream, final Http2Headers headers, final boolean endOfStream)
    {
        final StreamRequest pending = stream.getProperty(requestKey);
        if (null != pending)
        {
            // Trailers: only their end of stream matters.
            if (endOfStream)
            {
                onRequestData(stream, Unpooled.EMPTY_BUFFER, true);
            }
            return;
        }
        counters.increment(Counter.HTTP_REQUESTS);
        final String origin = string(headers.get(HttpHeaderNames.ORIGIN));
        final CharSequence method = headers.method();
        final CharSequence path = headers.path();
        if (null == method || null == path)
        {
            reject(stream, HttpRejection.badRequest("missing :method or :path"), origin);
            return;
        }
        final HttpMethod httpMethod = HttpMethod.valueOf(method.toString());
        final RequestTarget target;
        try
        {
            target = RequestTarget.parse(httpMethod, path.toString());
        }
        catch (final HttpRejection rejection)
        {
            reject(stream, rejection, origin);
            return;
        }
        switch (target.endpoint())
        {
            case SUBSCRIBE:
                subscribe(stream, headers, target, origin);
                break;

            case PUBLISH:
                beginPublish(stream, headers, target, origin, endOfStream);
                break;

            case PREFLIGHT:
                respond(stream, responses.preflight(origin,
                    string(headers.get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS))), false);
                break;

            case PAGE:
                respond(stream, StaticPages.index(ctx.alloc()), HttpMethod.HEAD.equals(httpMethod));
                break;

            case DASHBOARD:
                respond(stream, StaticPages.dashboard(ctx.alloc(), broker.statsTopic()), HttpMethod.HEAD.equals(httpMethod));
                break;

            case READY:
                respond(stream, broker.isReady() ?
                    responses.text(ctx.alloc(), HttpResponseStatus.OK, "ready\n", origin) :
                    responses.text(ctx.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready: draining\n", origin),
                    HttpMethod.HEAD.equals(httpMethod));
                break;

            case METRICS:
                final PrometheusExposition.Scrape scrape = broker.exposition().scrape(string(headers.get(HttpHeaderNames.ACCEPT)));
                respond(stream, responses.metrics(ctx.alloc(), scrape.body(), scrape.contentType()),
                    HttpMethod.HEAD.equals(httpMethod));
                break;

            case HEALTH:
            default:
                respond(stream, responses.text(ctx.alloc(), HttpResponseStatus.OK, "ok\n", origin),
                    HttpMethod.HEAD.equals(httpMethod));
                break;
        }
    }

    private void subscribe(
        final Http2Stream stream, final Http2Headers headers, final RequestTarget target, final String origin)
    {
        if (broker.isClosing() || stopped)
        {
            reject(stream, HttpRejection.unavailable("broker is shutting down"), origin);
            return;
        }
        final SubscribeRequest subscription;
        try
        {
            final Access access = access(headers, target);
            subscription = SubscribeRequest.parse(target, string(headers.get(LAST_EVENT_ID)), broker.topics(),
                broker.config().maxTopicsPerStream(), access.subscribe());
        }
        catch (final HttpRejection rejection)
        {
            reject(stream, rejection, origin);
            return;
        }
        counters.increment(Counter.STREAMS_OPENED);
        broker.httpMetrics().streamOpened(Protocol.HTTP_2);
        broker.httpMetrics().response(Protocol.HTTP_2, HttpResponseStatus.OK.code());
        closeOpenFrame();
        encoder().writeHeaders(ctx, stream.id(), streamHeaders(origin), 0, false, unwatched);
        final Http2StreamSink sink = new Http2StreamSink(this, stream);
        stream.setProperty(sinkKey, sink);
        sink.cursor = fanOut.subscribe(subscription.topicIndexes(), subscription.lastEventId(), sink, System.nanoTime());
    }

    private Http2Headers streamHeaders(final String origin)
    {
        final Http2Headers headers = new DefaultHttp2Headers()
            .status(HttpResponseStatus.OK.codeAsText())
            .set(HttpHeaderNames.CONTENT_TYPE, EVENT_STREAM)
            .set(HttpHeaderNames.CACHE_CONTROL, NO_CACHE)
            .set(X_ACCEL_BUFFERING, NO);
        final HttpHeaders cors = new DefaultHttpHeaders(false);
        responses.cors(cors, origin);
        HttpConversionUtil.toHttp2Headers(cors, headers);
        return headers;
    }

    private void beginPublish(
        final Http2Stream stream,
        final Http2Headers headers,
        final RequestTarget target,
        final String origin,
        final boolean endOfStream)
    {
        if (broker.isClosing() || stopped)
        {
            reject(stream, HttpRejection.unavailable("broker is shutting down"), origin);
            return;
        }
        final CharSequence contentLength = headers.get(HttpHeaderNames.CONTENT_LENGTH);
        if (null != contentLength)
        {
            final long length = parseLength(contentLength);
            if (length > maxBodyBytes)
            {
                rejectBody(stream, HttpRejection.tooLarge(
                    "body of " + length + " bytes exceeds the limit of " + maxBodyBytes + " bytes"), origin);
                return;
            }
        }
        final Access access;
        try
        {
            // At the headers, before any body is buffered: an unauthenticated publisher is refused at once.
            access = access(headers, target);
        }
        catch (final HttpRejection rejection)
        {
            rejectBody(stream, rejection, origin);
            return;
        }
        final StreamRequest request = new StreamRequest(target, origin, string(headers.get(HttpHeaderNames.CONTENT_TYPE)),
            string(headers.get(IDEMPOTENCY_KEY)), access, ctx.alloc().compositeBuffer(64));
        stream.setProperty(requestKey, request);
        if (endOfStream)
        {
            onRequestData(stream, Unpooled.EMPTY_BUFFER, true);
        }
    }

    private void onRequestData(final Http2Stream stream, final ByteBuf data, final boolean endOfStream)
    {
        final StreamRequest request = stream.getProperty(requestKey);
        if (null == request || null == request.body)
        {
            return;
        }
        if (request.body.readableBytes() + data.readableBytes() > maxBodyBytes)
        {
            request.release();
            rejectBody(stream, HttpRejection.tooLarge("body exceeds the limit of " + maxBodyBytes + " bytes"),
                request.origin);
            return;
        }
        if (data.isReadable())
        {
            request.body.addComponent(true, data.retain());
        }
        if (!endOfStream)
        {
            return;
        }
        final CompositeByteBuf body = request.body;
        request.body = null;
        final PublishRequest publish;
        try
        {
            publish = PublishRequest.parse(request.contentType, request.target, body, broker.config().maxDataBytes(),
                request.idempotencyKey, broker.topics(), request.access.publish());
        }
        catch (final HttpRejection rejection)
        {
            body.release();
            reject(stream, rejection, request.origin);
            return;
        }
        final ByteBuf message;
        try
        {
            message = publish.copyMessage(ctx.alloc());
        }
        finally
        {
            body.release();
        }
        if (null == publishes)
        {
            publishes = new PublishQueue(broker, ctx.channel().eventLoop(), this::flushConnection);
        }
        final int streamId = stream.id();
        publishes.submit(message, publish.topicIndex(), publish.keyLength(), publish.eventLength(), new PublishQueue.Answer()
        {
            @Override
            public void onPublished(final long id)
            {
                answer(streamId, responses.text(ctx.alloc(), HttpResponseStatus.OK, Long.toString(id), request.origin));
            }

            @Override
            public void onRejected(final HttpRejection rejection)
            {
                answer(streamId, responses.text(ctx.alloc(), rejection.status(), rejection.reason() + "\n",
                    request.origin));
            }
        });
    }

    /**
     * Answers a publish whose stream may have been reset meanwhile; the queue flushes after a round.
     */
    private void answer(final int streamId, final FullHttpResponse response)
    {
        final Http2Stream stream = connection().stream(streamId);
        if (null == stream || !ctx.channel().isActive())
        {
            response.release();
            return;
        }
        write(stream, response, false);
    }

    // ------------------------------------------------------------------------------------ responses

    private void reject(final Http2Stream stream, final HttpRejection rejection, final String origin)
    {
        counters.increment(rejection.counter());
        final FullHttpResponse response = responses.text(ctx.alloc(), rejection.status(), rejection.reason() + "\n", origin);
        if (null != rejection.headerName())
        {
            response.headers().set(rejection.headerName(), rejection.headerValue());
        }
        respond(stream, response, false);
    }

    /**
     * Rejects a request whose body is still coming: the answer ends our side, and RST_STREAM
     * NO_ERROR asks the client to stop sending the rest (RFC 9113 8.1).
     */
    private Access access(final Http2Headers headers, final RequestTarget target) throws HttpRejection
    {
        if (!broker.authenticator().enabled())
        {
            // Authentication off: no header lookups, no cookie list, per subscribe or publish.
            return Access.ALL;
        }
        return RequestAccess.of(broker.authenticator(), target, string(headers.get(HttpHeaderNames.AUTHORIZATION)),
            headers.getAll(HttpHeaderNames.COOKIE), broker.config().jwtCookieName());
    }

    private void rejectBody(final Http2Stream stream, final HttpRejection rejection, final String origin)
    {
        reject(stream, rejection, origin);
        if (stream.state().remoteSideOpen())
        {
            resetStream(stream.id(), Http2Error.NO_ERROR);
        }
    }

    private void respond(final Http2Stream stream, final FullHttpResponse response, final boolean head)
    {
        write(stream, response, head);
        flushConnection();
    }

    private void write(final Http2Stream stream, final FullHttpResponse response, final boolean head)
    {
        closeOpenFrame();
        broker.httpMetrics().response(Protocol.HTTP_2, response.status().code());
        try
        {
            final ByteBuf content = response.content();
            final boolean hasBody = !head && content.isReadable();
            final Http2Headers headers = HttpConversionUtil.toHttp2Headers(response, true);
            encoder().writeHeaders(ctx, stream.id(), headers, 0, !hasBody, unwatched);
            if (hasBody)
            {
                encoder().writeData(ctx, stream.id(), content.retain(), 0, true, unwatched);
            }
        }
        finally
        {
            response.release();
        }
    }

    // ------------------------------------------------------------------------------------ sink side

    SinkConnection sinkConnection()
    {
        return sinkConnection;
    }

    boolean isWritable(final Http2Stream stream)
    {
        return flow.isWritable(stream);
    }

    /**
     * Writes a subscription's bytes as DATA on its stream; the fan-out flushes the connection.
     */
    void writeData(final Http2Stream stream, final ByteBuf data, final boolean endOfStream)
    {
        if (endOfStream || !writeDataNow(stream, data))
        {
            closeOpenFrame();
            encoder().writeData(ctx, stream.id(), data, 0, endOfStream, unwatched);
        }
    }

    /**
     * The common case of a subscription's DATA: nothing of the stream waits in the flow controller
     * and both windows take the bytes. They then go straight to the channel, and are taken from the
     * stream and connection windows here, as the flow controller would take them. The encoder's path
     * builds a flow-controlled frame, a coalescing queue and a promise aggregate per write, and
     * flushing walks them again: profiled at 10,000 streams × 1,000 events/s that was most of the
     * h2 fan-out's CPU. Anything else (a queue behind a closed window, more than the peer's maximum
     * frame size, a stream not open on our side) takes the encoder's path, in order.
     * <p>
     * Events written to one stream back to back (a replay, a burst in one batch) share one DATA
     * frame: while the last bytes queued on the channel are this stream's frame, its header's length
     * is raised and the slice appended. Every other write path, flush and read ends the open frame
     * explicitly ({@link #closeOpenFrame}): the channel's queued byte count is only a second guard,
     * blind under TLS, where {@code SslHandler} holds writes until the flush.
     *
     * @return false when the bytes must go through the encoder instead; {@code data} is untouched.
     */
    private boolean writeDataNow(final Http2Stream stream, final ByteBuf data)
    {
        final int length = data.readableBytes();
        if (0 == length || !stream.state().localSideOpen() || flow.hasFlowControlled(stream) ||
            flow.windowSize(stream) < length || flow.windowSize(connectionStream) < length || length > MAX_DIRECT_FRAME_BYTES)
        {
            return false;
        }
        try
        {
            flow.incrementWindowSize(stream, -length);
            flow.incrementWindowSize(connectionStream, -length);
        }
        catch (final Http2Exception ex)
        {
            // Only a window growing past 2^31-1 is an error; shrinking one is not.
            throw new IllegalStateException(ex);
        }
        final ChannelOutboundBuffer outbound = ctx.channel().unsafe().outboundBuffer();
        if (stream == openFrameStream && null != outbound && outbound.totalPendingWriteBytes() == openFrameQueuedBytes &&
            openFrameLength + length <= MAX_DIRECT_FRAME_BYTES)
        {
            openFrameLength += length;
            headerSlab.setMedium(openFrameHeaderIndex, openFrameLength);
        }
        else
        {
            ctx.write(dataFrameHeader(length, stream.id()), unwatched);
            openFrameStream = stream;
            openFrameLength = length;
        }
        ctx.write(data, unwatched);
        openFrameQueuedBytes = null == outbound ? -1 : outbound.totalPendingWriteBytes();
        return true;
    }

    /**
     * Whatever goes on the channel next, the last DATA frame may no longer grow.
     */
    private void closeOpenFrame()
    {
        openFrameStream = null;
    }

    /**
     * A DATA frame header cut from this connection's header slab: one pooled allocation for hundreds
     * of frames instead of one each. The slice holds one reference to the slab, released when the
     * channel has written it.
     */
    private ByteBuf dataFrameHeader(final int length, final int streamId)
    {
        ByteBuf slab = headerSlab;
        if (null == slab || slab.writableBytes() < FRAME_HEADER_BYTES)
        {
            releaseHeaderSlab();
            slab = headerSlab = ctx.alloc().directBuffer(HEADER_SLAB_BYTES);
        }
        final int offset = slab.writerIndex();
        openFrameHeaderIndex = offset;
        slab.writeMedium(length)
            .writeByte(DATA_FRAME_TYPE)
            .writeByte(0)
            .writeInt(streamId);
        slab.retain();
        return slab.slice(offset, FRAME_HEADER_BYTES);
    }

    private void releaseHeaderSlab()
    {
        closeOpenFrame();
        if (null != headerSlab)
        {
            headerSlab.release();
            headerSlab = null;
        }
    }

    void resetStream(final int streamId, final Http2Error error)
    {
        closeOpenFrame();
        resetStream(ctx, streamId, error.code(), unwatched);
        flushConnection();
    }

    /**
     * A stream stayed unwritable past the grace period. When the connection as a whole takes no
     * bytes, the connection goes; otherwise this stream alone is reset.
     */
    void onSlowStream(final Http2StreamSink sink)
    {
        if (!flow.isWritable(connectionStream) || !ctx.channel().isWritable())
        {
            evictConnection();
            return;
        }
        counters.increment(Counter.HTTP2_STREAMS_RESET_SLOW);
        sink.reset();
    }

    private void evictConnection()
    {
        if (!ctx.channel().isActive() || stopped && !ctx.channel().isOpen())
        {
            return;
        }
        counters.increment(Counter.HTTP2_CONNECTIONS_EVICTED_SLOW);
        final ByteBuf debug = Unpooled.copiedBuffer("connection not reading: evicted", StandardCharsets.US_ASCII);
        closeOpenFrame();
        goAway(ctx, connection().remote().lastStreamCreated(), Http2Error.NO_ERROR.code(), debug, ctx.newPromise());
        // Nothing more will be read from it: close now rather than wait for streams to end.
        gracefulShutdownTimeoutMillis(0);
        flush(ctx);
        ctx.close();
    }

    private void flushConnection()
    {
        if (null != ctx)
        {
            flush(ctx);
        }
    }

    @Override
    public void flush(final ChannelHandlerContext ctx)
    {
        closeOpenFrame();
        super.flush(ctx);
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg) throws Exception
    {
        // Reading may write (SETTINGS and PING acks, WINDOW_UPDATE releasing queued frames).
        closeOpenFrame();
        super.channelRead(ctx, msg);
    }

    private void onWritabilityChanged(final Http2Stream stream)
    {
        final Http2StreamSink sink = stream.getProperty(sinkKey);
        if (null == sink || null == sink.cursor || !isWritable(stream))
        {
            return;
        }
        // Called from inside the flow controller's write-out: resume the cursors after it, together.
        if (becameWritable.isEmpty())
        {
            ctx.executor().execute(resumeWritable);
        }
        becameWritable.add(sink);
    }

    private void resumeWritable()
    {
        final long nowNs = System.nanoTime();
        for (int i = 0, n = becameWritable.size(); i < n; i++)
        {
            final Http2StreamSink sink = becameWritable.get(i);
            if (sink.isWritable())
            {
                fanOut.onWritable(sink.cursor, nowNs);
            }
        }
        becameWritable.clear();
    }

    private void onStreamEnded(final Http2Stream stream)
    {
        final Http2StreamSink sink = stream.removeProperty(sinkKey);
        if (null != sink)
        {
            sink.onClosed();
            if (null != sink.cursor)
            {
                fanOut.remove(sink.cursor);
            }
            counters.increment(Counter.STREAMS_CLOSED);
            broker.httpMetrics().streamClosed(Protocol.HTTP_2);
        }
        final StreamRequest request = stream.removeProperty(requestKey);
        if (null != request)
        {
            request.release();
        }
    }

    private void releasePublishes()
    {
        if (null != publishes)
        {
            publishes.close();
            publishes = null;
        }
    }

    private static String string(final CharSequence value)
    {
        return null == value ? null : value.toString();
    }

    private static long parseLength(final CharSequence value)
    {
        try
        {
            return Long.parseLong(value.toString().trim());
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    /** A publish stream's request while its body arrives. */
    private static final class StreamRequest
    {
        final RequestTarget target;
        final String origin;
        final String contentType;
        final String idempotencyKey;
        final Access access;
        CompositeByteBuf body;

        StreamRequest(
            final RequestTarget target,
            final String origin,
            final String contentType,
            final String idempotencyKey,
            final Access access,
            final CompositeByteBuf body)
        {
            this.target = target;
            this.origin = origin;
            this.contentType = contentType;
            this.idempotencyKey = idempotencyKey;
            this.access = access;
            this.body = body;
        }

        void release()
        {
            if (null != body)
            {
                body.release();
                body = null;
            }
        }
    }

    private final class FrameListener extends Http2EventAdapter
    {
        @Override
        public int onDataRead(
            final ChannelHandlerContext ctx, final int streamId, final ByteBuf data, final int padding,
            final boolean endOfStream)
        {
            final Http2Stream stream = connection().stream(streamId);
            if (null != stream)
            {
                onRequestData(stream, data, endOfStream);
            }
            // Everything read is taken (or dropped): give the client its window back at once.
            return data.readableBytes() + padding;
        }

        @Override
        public void onHeadersRead(
            final ChannelHandlerContext ctx, final int streamId, final Http2Headers headers, final int padding,
            final boolean endOfStream)
        {
            final Http2Stream stream = connection().stream(streamId);
            if (null != stream)
            {
                onRequestHeaders(stream, headers, endOfStream);
            }
        }

        @Override
        public void onHeadersRead(
            final ChannelHandlerContext ctx, final int streamId, final Http2Headers headers, final int streamDependency,
            final short weight, final boolean exclusive, final int padding, final boolean endOfStream)
        {
            onHeadersRead(ctx, streamId, headers, padding, endOfStream);
        }
    }

    /**
     * Builds the handler with the broker's settings and Netty's protections against the known
     * HTTP/2 attacks. The encoder-side limits apply only because the builder creates the encoder.
     */
    static final class Builder extends AbstractHttp2ConnectionHandlerBuilder<Http2BrokerHandler, Builder>
    {
        /** RST_STREAM frames a client may send per window before GOAWAY (CVE-2023-44487, rapid reset). */
        static final int MAX_RST_FRAMES_PER_WINDOW = 200;
        static final int RST_WINDOW_SECONDS = 30;
        /** RST_STREAM frames the broker may be made to send per window (server-side reset floods). */
        static final int MAX_ENCODED_RST_FRAMES_PER_WINDOW = 200;
        /** CONTINUATION frames under 8 KiB in one header block before GOAWAY (CONTINUATION flood). */
        static final int MAX_SMALL_CONTINUATION_FRAMES = 16;
        /** Control-frame answers (PING, SETTINGS acks, RST) queued unflushed before GOAWAY. */
        static final int MAX_QUEUED_CONTROL_FRAMES = 10_000;
        /** DATA frames in a row without payload and END_STREAM before GOAWAY. */
        static final int MAX_CONSECUTIVE_EMPTY_DATA_FRAMES = 2;

        private final HttpBackend broker;
        private final HttpResponses responses;

        Builder(final HttpBackend broker, final HttpResponses responses)
        {
            this.broker = broker;
            this.responses = responses;
            final BrokerConfig config = broker.config();
            final Http2Connection connection = new DefaultHttp2Connection(true);
            connection.remote().flowController(
                new DefaultHttp2RemoteFlowController(connection, new UniformStreamByteDistributor(connection)));
            connection(connection);
            initialSettings(Http2Settings.defaultSettings()
                .maxConcurrentStreams(config.http2MaxConcurrentStreams())
                .maxHeaderListSize(config.http2MaxHeaderListBytes()));
            decoderEnforceMaxRstFramesPerWindow(MAX_RST_FRAMES_PER_WINDOW, RST_WINDOW_SECONDS);
            encoderEnforceMaxRstFramesPerWindow(MAX_ENCODED_RST_FRAMES_PER_WINDOW, RST_WINDOW_SECONDS);
            decoderEnforceMaxSmallContinuationFrames(MAX_SMALL_CONTINUATION_FRAMES);
            encoderEnforceMaxQueuedControlFrames(MAX_QUEUED_CONTROL_FRAMES);
            decoderEnforceMaxConsecutiveEmptyDataFrames(MAX_CONSECUTIVE_EMPTY_DATA_FRAMES);
            gracefulShutdownTimeoutMillis(config.shutdownTimeoutMs());
        }

        @Override
        public Http2BrokerHandler build()
        {
            return super.build();
        }

        @Override
        protected Http2BrokerHandler build(
            final Http2ConnectionDecoder decoder, final Http2ConnectionEncoder encoder, final Http2Settings settings)
        {
            return new Http2BrokerHandler(broker, responses, decoder, encoder, settings);
        }
    }
}

package io.ssebroker.server.http;

import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.ssebroker.fanout.LoopFanOut;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.edge.BrokerEvent;
import io.ssebroker.server.edge.HttpBackend;
import io.ssebroker.server.auth.Access;
import io.ssebroker.server.metrics.HttpMetrics.Protocol;
import io.ssebroker.server.metrics.PrometheusExposition;
import io.ssebroker.server.edge.ConnectionErrors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Routes HTTP/1.1 requests of one connection.
 * <ul>
 *   <li>{@code GET /events?topic=A&topic=B[&lastEventId=N]} — switches the connection to an event
 *       stream ({@link SseStreamHandler}).</li>
 *   <li>{@code POST /publish} — form fields {@code topic}, {@code data}, optional {@code event}; or
 *       {@code ?topic=&event=} with the raw body as data. Answers 200 with the assigned id once the
 *       sequencer has taken the event.</li>
 *   <li>{@code OPTIONS} on either — CORS preflight. {@code GET /health} — liveness.</li>
 * </ul>
 * Routing and parsing are shared with HTTP/2 ({@link RequestTarget}, {@link SubscribeRequest},
 * {@link PublishRequest}), so both protocols answer alike.
 *
 * <h2>Pipelining</h2>
 * Requests are answered in the order they arrived (RFC 9112 9.3.2), however many a client sends
 * before reading: each takes a slot in the response queue, a publish's slot is filled when the
 * sequencer has taken it, and slots go out from the front as they fill. Publishes of one connection
 * are in flight together ({@link PublishQueue}), so a pipelining publisher is not held to one
 * round trip per event. A {@code GET /events} waits until every earlier answer is out, since it
 * turns the connection into a stream.
 *
 * <h2>Errors</h2>
 * Every rejection is a plain-text response with a one-line reason and a counter: 400 bad
 * parameters or malformed requests, 404 unknown path, 405 wrong method, 408 a request not
 * complete within {@code http.requestTimeoutMs} (slow clients), 413 a body over the limit,
 * 414/431 an over-long request line or header block, 503 when shutting down or out of capacity.
 * After a malformed request, an oversized body or a timeout the connection is closed, since
 * the rest of its bytes cannot be trusted to start a new request.
 *
 * <h2>Back pressure</h2>
 * Decoded requests that cannot be taken yet (a stream request behind unanswered ones, or publishes
 * beyond the queue's backlog) wait in arrival order, and the connection is not read until they
 * are taken. When the ingest ring is full the offer is retried every millisecond, until the request
 * timeout answers 503.
 * <p>
 * <b>Threading:</b> confined to the channel's event loop.
 */
final class HttpRequestHandler extends ChannelInboundHandlerAdapter
{
    private static final Logger LOG = LoggerFactory.getLogger(HttpRequestHandler.class);
    /** A request that does not complete is answered between the request timeout and this fraction more. */
    private static final long TIMEOUT_SPREAD = 4;
    private static final AsciiString IDEMPOTENCY_KEY = AsciiString.cached("idempotency-key");

    private final HttpBackend broker;
    private final HttpResponses responses;
    private final BrokerCounters counters;
    private final int maxBodyBytes;

    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> requestTimeout;
    private final ArrayDeque<Object> inbound = new ArrayDeque<>();
    private final ArrayDeque<Slot> answers = new ArrayDeque<>();
    private PublishQueue publishes;
    private boolean processing;
    private boolean stopped;
    private boolean closeAfterAnswers;
    private boolean streaming;

    /** The publish whose body is being read, or null. */
    private HttpRequest request;
    private RequestTarget requestTarget;
    private CompositeByteBuf body;

    HttpRequestHandler(final HttpBackend broker, final HttpResponses responses)
    {
        this.broker = broker;
        this.responses = responses;
        this.counters = broker.counters();
        this.maxBodyBytes = broker.config().maxDataBytes() * 3 + 4096;
    }

    @Override
    public void handlerAdded(final ChannelHandlerContext ctx)
    {
        this.ctx = ctx;
        if (ctx.channel().isActive())
        {
            // Added after the first bytes told the protocol: the connection is active already.
            armRequestTimeout();
        }
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx)
    {
        armRequestTimeout();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx)
    {
        cleanUp();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(final ChannelHandlerContext ctx)
    {
        cleanUp();
    }

    @Override
    public void userEventTriggered(final ChannelHandlerContext ctx, final Object evt)
    {
        if (BrokerEvent.STOP_READING == evt)
        {
            stopped = true;
            if (!streaming && null == request && answers.isEmpty() && inbound.isEmpty())
            {
                // Idle keep-alive: nothing owed, and a request sent now would wait unread until the end.
                ctx.close();
                return;
            }
            updateAutoRead();
        }
        else if (BrokerEvent.SHUTDOWN == evt)
        {
            // Answers still owed go out first; the last of them closes (keep-alive is off now).
            if (answers.isEmpty())
            {
                ctx.close();
            }
            else
            {
                closeAfterAnswers = true;
            }
        }
        else
        {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        if (closeAfterAnswers || streaming)
        {
            ReferenceCountUtil.release(msg);
            return;
        }
        inbound.addLast(msg);
        processInbound();
    }

    /**
     * Takes decoded messages in arrival order for as long as they can be taken now.
     */
    private void processInbound()
    {
        if (processing)
        {
            return;
        }
        processing = true;
        try
        {
            Object msg;
            while (!closeAfterAnswers && !streaming && null != (msg = inbound.peekFirst()))
            {
                if (msg instanceof HttpRequest && mustWait((HttpRequest)msg))
                {
                    break;
                }
                inbound.pollFirst();
                try
                {
                    if (msg instanceof HttpRequest)
                    {
                        onRequest((HttpRequest)msg);
                    }
                    if (msg instanceof HttpContent && ctx.channel().isActive())
                    {
                        onContent((HttpContent)msg);
                    }
                }
                finally
                {
                    ReferenceCountUtil.release(msg);
                }
            }
        }
        finally
        {
            processing = false;
        }
        if (closeAfterAnswers || streaming)
        {
            releaseInbound();
        }
        updateAutoRead();
    }

    /**
     * A stream request waits for every earlier answer, since it turns the connection into a stream;
     * any request waits while the publish queue is backlogged.
     */
    private boolean mustWait(final HttpRequest request)
    {
        if (null != publishes && publishes.isBacklogged())
        {
            return true;
        }
        return !answers.isEmpty() && HttpMethod.GET.equals(request.method()) && request.uri().startsWith("/events");
    }

    private void updateAutoRead()
    {
        if (!ctx.channel().isActive())
        {
            return;
        }
        final boolean read = !stopped && !closeAfterAnswers && inbound.isEmpty();
        if (ctx.channel().config().isAutoRead() != read)
        {
            ctx.channel().config().setAutoRead(read);
        }
    }

    private void onRequest(final HttpRequest request)
    {
        counters.increment(Counter.HTTP_REQUESTS);
        final DecoderResult result = request.decoderResult();
        if (result.isFailure())
        {
            rejectMalformed(result.cause());
            return;
        }
        final String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        final RequestTarget target;
        try
        {
            target = RequestTarget.parse(request.method(), request.uri());
        }
        catch (final HttpRejection rejection)
        {
            reject(request, rejection, false);
            return;
        }
        switch (target.endpoint())
        {
            case SUBSCRIBE:
                subscribe(request, target, origin);
                break;

            case PUBLISH:
                beginPublish(request, target);
                break;

            case PREFLIGHT:
                answer(request, responses.preflight(origin,
                    request.headers().get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS)), false);
                break;

            case PAGE:
                answer(request, StaticPages.index(ctx.alloc()), false);
                break;

            case DASHBOARD:
                answer(request, StaticPages.dashboard(ctx.alloc(), broker.statsTopic()), false);
                break;

            case READY:
                answer(request, broker.isReady() ?
                    responses.text(ctx.alloc(), HttpResponseStatus.OK, "ready\n", origin) :
                    responses.text(ctx.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready: draining\n", origin),
                    false);
                break;

            case METRICS:
                final PrometheusExposition.Scrape scrape = broker.exposition().scrape(request.headers().get(HttpHeaderNames.ACCEPT));
                answer(request, responses.metrics(ctx.alloc(), scrape.body(), scrape.contentType()), false);
                break;

            case HEALTH:
            default:
                answer(request, responses.text(ctx.alloc(), HttpResponseStatus.OK, "ok\n", origin), false);
                break;
        }
    }

    // ------------------------------------------------------------------------------------ subscribe

    private void subscribe(final HttpRequest request, final RequestTarget target, final String origin)
    {
        if (broker.isClosing() || stopped)
        {
            reject(request, HttpRejection.unavailable("broker is shutting down"), true);
            return;
        }
        final SubscribeRequest subscription;
        try
        {
            final Access access = access(request, target);
            subscription = SubscribeRequest.parse(target, request.headers().get("Last-Event-ID"), broker.topics(),
                broker.config().maxTopicsPerStream(), access.subscribe());
        }
        catch (final HttpRejection rejection)
        {
            reject(request, rejection, false);
            return;
        }

        counters.increment(Counter.STREAMS_OPENED);
        broker.httpMetrics().streamOpened(Protocol.HTTP_1_1);
        broker.httpMetrics().response(Protocol.HTTP_1_1, HttpResponseStatus.OK.code());
        cancelRequestTimeout();
        streaming = true;
        final LoopFanOut fanOut = broker.fanOut(ctx.channel().eventLoop());
        final boolean http10 = HttpVersion.HTTP_1_0.equals(request.protocolVersion());
        final SseStreamHandler stream = new SseStreamHandler(fanOut, counters, broker.httpMetrics(), http10);
        // From here on the connection carries raw pre-encoded chunks: drop the codec first, so the
        // head and every frame below go straight to the socket.
        final Channel channel = ctx.channel();
        ctx.pipeline().addLast(stream);
        ctx.pipeline().remove(HttpServerInitializer.CODEC);
        if (null != ctx.pipeline().get(HttpServerInitializer.UPGRADE))
        {
            ctx.pipeline().remove(HttpServerInitializer.UPGRADE);
        }
        ctx.pipeline().remove(this);
        channel.write(responses.streamHead(channel.alloc(), origin, http10), channel.voidPromise());
        stream.start(subscription.topicIndexes(), subscription.lastEventId());
    }

    // ------------------------------------------------------------------------------------ publish

    private void beginPublish(final HttpRequest request, final RequestTarget target)
    {
        if (broker.isClosing() || stopped)
        {
            reject(request, HttpRejection.unavailable("broker is shutting down"), true);
            return;
        }
        final long contentLength = HttpUtil.getContentLength(request, -1L);
        if (contentLength > maxBodyBytes)
        {
            reject(request, HttpRejection.tooLarge(
                "body of " + contentLength + " bytes exceeds the limit of " + maxBodyBytes + " bytes"), true);
            return;
        }
        if (HttpUtil.is100ContinueExpected(request) && answers.isEmpty())
        {
            // Only when nothing is owed before it: an interim answer must not overtake earlier ones.
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
        this.request = request;
        this.requestTarget = target;
        this.body = ctx.alloc().compositeBuffer(64);
    }

    private void onContent(final HttpContent content)
    {
        if (null == request || null == body)
        {
            return;
        }
        final io.netty.buffer.ByteBuf chunk = content.content();
        if (body.readableBytes() + chunk.readableBytes() > maxBodyBytes)
        {
            final HttpRequest request = this.request;
            releaseBody();
            reject(request, HttpRejection.tooLarge("body exceeds the limit of " + maxBodyBytes + " bytes"), true);
            return;
        }
        if (chunk.isReadable())
        {
            body.addComponent(true, chunk.retain());
        }
        if (content instanceof LastHttpContent)
        {
            final HttpRequest request = this.request;
            final RequestTarget target = this.requestTarget;
            final CompositeByteBuf body = this.body;
            this.body = null;
            this.request = null;
            this.requestTarget = null;
            try
            {
                publish(request, target, body);
            }
            finally
            {
                body.release();
            }
        }
    }

    private void publish(final HttpRequest request, final RequestTarget target, final CompositeByteBuf body)
    {
        final PublishRequest publish;
        try
        {
            final Access access = access(request, target);
            publish = PublishRequest.parse(request.headers().get(HttpHeaderNames.CONTENT_TYPE), target, body,
                broker.config().maxDataBytes(), request.headers().get(IDEMPOTENCY_KEY), broker.topics(), access.publish());
        }
        catch (final HttpRejection rejection)
        {
            reject(request, rejection, false);
            return;
        }
        if (null == publishes)
        {
            publishes = new PublishQueue(broker, ctx.channel().eventLoop(), this::onAnswers);
        }
        final Slot slot = new Slot(
            request.headers().get(HttpHeaderNames.ORIGIN), HttpUtil.isKeepAlive(request), false, false);
        answers.addLast(slot);
        cancelRequestTimeout();
        publishes.submit(publish.copyMessage(ctx.alloc()), publish.topicIndex(), publish.keyLength(),
            publish.eventLength(), slot);
    }

    private Access access(final HttpRequest request, final RequestTarget target) throws HttpRejection
    {
        if (!broker.authenticator().enabled())
        {
            // Authentication off: no header lookups, no cookie list, per subscribe or publish.
            return Access.ALL;
        }
        return RequestAccess.of(broker.authenticator(), target, request.headers().get(HttpHeaderNames.AUTHORIZATION),
            request.headers().getAll(HttpHeaderNames.COOKIE), broker.config().jwtCookieName());
    }

    // ------------------------------------------------------------------------------------ responses

    private void reject(final HttpRequest request, final HttpRejection rejection, final boolean close)
    {
        counters.increment(rejection.counter());
        final FullHttpResponse response = responses.text(ctx.alloc(), rejection.status(), rejection.reason() + "\n",
            request.headers().get(HttpHeaderNames.ORIGIN));
        if (null != rejection.headerName())
        {
            response.headers().set(rejection.headerName(), rejection.headerValue());
        }
        answer(request, response, close);
    }

    private void rejectMalformed(final Throwable cause)
    {
        final HttpResponseStatus status;
        final String reason;
        if (cause instanceof TooLongHttpLineException)
        {
            counters.increment(Counter.HTTP_HEADERS_TOO_LARGE);
            status = HttpResponseStatus.REQUEST_URI_TOO_LONG;
            reason = "request line too long (limit " + HttpServerInitializer.MAX_REQUEST_LINE_BYTES + " bytes)";
        }
        else if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException)
        {
            counters.increment(Counter.HTTP_HEADERS_TOO_LARGE);
            status = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
            reason = "request headers too large (limit 8192 bytes)";
        }
        else
        {
            counters.increment(Counter.HTTP_BAD_REQUEST);
            status = HttpResponseStatus.BAD_REQUEST;
            reason = "malformed HTTP request: " + cause.getMessage();
        }
        final Slot slot = new Slot(null, false, true, false);
        slot.response = responses.text(ctx.alloc(), status, reason + "\n", null);
        enqueue(slot);
    }

    /**
     * Queues a complete answer to a request whose body, if any, is not wanted.
     */
    private void answer(final HttpRequest request, final FullHttpResponse response, final boolean forceClose)
    {
        final boolean keepAlive = !forceClose && HttpUtil.isKeepAlive(request) &&
            (!HttpUtil.isContentLengthSet(request) || 0 == HttpUtil.getContentLength(request, 0L)) &&
            !HttpUtil.isTransferEncodingChunked(request);
        final Slot slot = new Slot(null, keepAlive, !keepAlive, HttpMethod.HEAD.equals(request.method()));
        slot.response = response;
        enqueue(slot);
    }

    private void enqueue(final Slot slot)
    {
        answers.addLast(slot);
        writeAnswers();
    }

    /**
     * Writes the filled slots at the front of the queue, flushing once.
     */
    private void writeAnswers()
    {
        boolean wrote = false;
        Slot slot;
        while (null != (slot = answers.peekFirst()) && null != slot.response)
        {
            answers.pollFirst();
            wrote = true;
            final FullHttpResponse response = slot.response;
            slot.response = null;
            broker.httpMetrics().response(Protocol.HTTP_1_1, response.status().code());
            if (slot.head)
            {
                response.content().clear();
            }
            final boolean keepAlive = slot.keepAlive && !slot.close && !broker.isClosing() && !stopped &&
                !closeAfterAnswers;
            HttpUtil.setKeepAlive(response, keepAlive);
            if (keepAlive)
            {
                ctx.write(response, ctx.voidPromise());
            }
            else
            {
                ctx.write(response).addListener(ChannelFutureListener.CLOSE);
                closeAfterAnswers = true;
                releaseAnswers();
                break;
            }
        }
        if (wrote)
        {
            ctx.flush();
            if (answers.isEmpty() && !closeAfterAnswers && !streaming)
            {
                armRequestTimeout();
            }
        }
        if (closeAfterAnswers)
        {
            releaseInbound();
        }
    }

    /**
     * After a round of publish answers: write what is ready, then take what waited for them.
     */
    private void onAnswers()
    {
        if (!ctx.channel().isActive())
        {
            return;
        }
        writeAnswers();
        processInbound();
    }

    private void armRequestTimeout()
    {
        cancelRequestTimeout();
        requestTimeout = ctx.executor().schedule(
            this::onRequestTimeout, spreadTimeoutNs(broker.config().requestTimeoutMs()), TimeUnit.NANOSECONDS);
    }

    /**
     * @return a moment between the request timeout and a quarter more, drawn for each connection: connections a
     *         flood opens together would otherwise time out together, and be opened again together, each time a
     *         burst on the loops that serve the streams (bench/connection-flood.sh, docs/reliability.md).
     */
    static long spreadTimeoutNs(final long timeoutMs)
    {
        final long timeoutNs = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        return timeoutNs + ThreadLocalRandom.current().nextLong(timeoutNs / TIMEOUT_SPREAD + 1);
    }

    private void cancelRequestTimeout()
    {
        if (null != requestTimeout)
        {
            requestTimeout.cancel(false);
            requestTimeout = null;
        }
    }

    void onRequestTimeout()
    {
        requestTimeout = null;
        if (!ctx.channel().isActive() || !answers.isEmpty() || streaming)
        {
            // An answer is owed: writing it arms the timeout again.
            return;
        }
        counters.increment(Counter.HTTP_REQUEST_TIMEOUT);
        releaseBody();
        request = null;
        final Slot slot = new Slot(null, false, true, false);
        slot.response = responses.text(ctx.alloc(), HttpResponseStatus.REQUEST_TIMEOUT,
            requestTimeoutReason(broker.config().requestTimeoutMs()), null);
        enqueue(slot);
    }

    /** @return the body of the {@code 408}. */
    static String requestTimeoutReason(final long timeoutMs)
    {
        return "request not received completely within " + timeoutMs + " ms\n";
    }

    private void releaseBody()
    {
        if (null != body)
        {
            body.release();
            body = null;
        }
        request = null;
        requestTarget = null;
    }

    private void releaseInbound()
    {
        Object msg;
        while (null != (msg = inbound.pollFirst()))
        {
            ReferenceCountUtil.release(msg);
        }
    }

    private void releaseAnswers()
    {
        Slot slot;
        while (null != (slot = answers.pollFirst()))
        {
            if (null != slot.response)
            {
                slot.response.release();
                slot.response = null;
            }
            slot.abandoned = true;
        }
    }

    private void cleanUp()
    {
        cancelRequestTimeout();
        releaseBody();
        releaseInbound();
        releaseAnswers();
        if (null != publishes)
        {
            publishes.close();
            publishes = null;
        }
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        ConnectionErrors.onException(counters, LOG, "HTTP connection", ctx, cause);
        ctx.close();
    }

    /**
     * One answer owed, in arrival order: filled at once, or when the sequencer has taken a publish.
     */
    private final class Slot implements PublishQueue.Answer
    {
        final String origin;
        final boolean keepAlive;
        final boolean close;
        final boolean head;
        FullHttpResponse response;
        boolean abandoned;

        Slot(final String origin, final boolean keepAlive, final boolean close, final boolean head)
        {
            this.origin = origin;
            this.keepAlive = keepAlive;
            this.close = close;
            this.head = head;
        }

        @Override
        public void onPublished(final long id)
        {
            fill(responses.text(ctx.alloc(), HttpResponseStatus.OK, Long.toString(id), origin));
        }

        @Override
        public void onRejected(final HttpRejection rejection)
        {
            // The queue counted it.
            fill(responses.text(ctx.alloc(), rejection.status(), rejection.reason() + "\n", origin));
        }

        private void fill(final FullHttpResponse response)
        {
            if (abandoned || !ctx.channel().isActive())
            {
                response.release();
                return;
            }
            // Written (and flushed once) by onAnswers after the queue's round of answers.
            this.response = response;
        }
    }
}

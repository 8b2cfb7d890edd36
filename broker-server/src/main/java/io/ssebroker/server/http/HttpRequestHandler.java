package io.ssebroker.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
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
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.CharsetUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.ssebroker.codec.TopicNames;
import io.ssebroker.codec.Utf8Text;
import io.ssebroker.fanout.LoopFanOut;
import io.ssebroker.ingest.IngestRing;
import io.ssebroker.ingest.PublisherSession;
import io.ssebroker.log.Topic;
import io.ssebroker.log.TopicRegistry;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.Broker;
import io.ssebroker.server.ConnectionErrors;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

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
 * One publish at a time per connection: reading pauses until it is answered. When the ingest ring
 * is full the offer is retried every millisecond, until the request timeout answers 503.
 * <p>
 * <b>Threading:</b> confined to the channel's event loop.
 */
final class HttpRequestHandler extends ChannelInboundHandlerAdapter implements PublisherSession.Listener
{
    private static final Logger LOG = Logger.getLogger(HttpRequestHandler.class.getName());
    private static final int MAX_QUERY_PARAMS = 4096;

    private final Broker broker;
    private final HttpResponses responses;
    private final BrokerCounters counters;
    private final int maxBodyBytes;

    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> requestTimeout;
    private HttpRequest request;
    private CompositeByteBuf body;
    private boolean stopped;

    private PublisherSession session;
    private IngestRing.Producer producer;
    private long pendingSequence;
    private boolean pendingKeepAlive;
    private String pendingOrigin;
    private QueryStringDecoder pendingQuery;
    private ByteBuf pendingMessage;
    private int pendingTopic;
    private int pendingEventLength;
    private long pendingDeadlineNs;

    HttpRequestHandler(final Broker broker, final HttpResponses responses)
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
        if (Broker.BrokerEvent.STOP_READING == evt)
        {
            stopped = true;
            ctx.channel().config().setAutoRead(false);
        }
        else if (Broker.BrokerEvent.SHUTDOWN == evt)
        {
            if (0 == pendingSequence)
            {
                ctx.close();
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
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }

    private void onRequest(final HttpRequest request)
    {
        counters.increment(Counter.HTTP_REQUESTS);
        final DecoderResult result = request.decoderResult();
        if (result.isFailure())
        {
            rejectMalformed(request, result.cause());
            return;
        }
        if (0 != pendingSequence || null != this.request)
        {
            // A pipelined request while a publish is pending: answer in order by refusing it.
            reject(request, HttpResponseStatus.BAD_REQUEST, "pipelined request while a publish is pending", true);
            return;
        }
        final String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        final QueryStringDecoder query;
        final String path;
        try
        {
            query = new QueryStringDecoder(request.uri(), CharsetUtil.UTF_8, true, MAX_QUERY_PARAMS);
            // Decoding is lazy: force it here so a bad percent escape is a 400, not a handler failure.
            path = query.path();
            query.parameters();
        }
        catch (final IllegalArgumentException ex)
        {
            reject(request, HttpResponseStatus.BAD_REQUEST, "malformed request target: " + ex.getMessage(), false);
            return;
        }
        pendingQuery = query;
        final HttpMethod method = request.method();
        switch (path)
        {
            case "/events":
                if (HttpMethod.GET.equals(method))
                {
                    subscribe(request, query, origin);
                }
                else if (HttpMethod.OPTIONS.equals(method))
                {
                    preflight(request, origin);
                }
                else
                {
                    methodNotAllowed(request, "GET, OPTIONS");
                }
                break;

            case "/publish":
                if (HttpMethod.POST.equals(method))
                {
                    beginPublish(request, origin);
                }
                else if (HttpMethod.OPTIONS.equals(method))
                {
                    preflight(request, origin);
                }
                else
                {
                    methodNotAllowed(request, "POST, OPTIONS");
                }
                break;

            case "/health":
                if (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method))
                {
                    respond(request, responses.text(ctx.alloc(), HttpResponseStatus.OK, "ok\n", origin), false);
                }
                else
                {
                    methodNotAllowed(request, "GET, HEAD");
                }
                break;

            default:
                counters.increment(Counter.HTTP_NOT_FOUND);
                respond(request, responses.text(ctx.alloc(), HttpResponseStatus.NOT_FOUND,
                    "no such path: " + path + " (try GET /events?topic=NAME or POST /publish)\n", origin), false);
                break;
        }
    }

    // ------------------------------------------------------------------------------------ subscribe

    private void subscribe(final HttpRequest request, final QueryStringDecoder query, final String origin)
    {
        if (broker.isClosing() || stopped)
        {
            unavailable(request, "broker is shutting down");
            return;
        }
        final Map<String, List<String>> params = query.parameters();
        final List<String> names = params.get("topic");
        if (null == names || names.isEmpty())
        {
            reject(request, HttpResponseStatus.BAD_REQUEST, "missing topic parameter (GET /events?topic=NAME)", false);
            return;
        }
        final Set<String> distinct = new LinkedHashSet<>(names);
        final int maxTopics = broker.config().maxTopicsPerStream();
        if (distinct.size() > maxTopics)
        {
            reject(request, HttpResponseStatus.BAD_REQUEST,
                "too many topics: " + distinct.size() + " (at most " + maxTopics + " per stream)", false);
            return;
        }
        final TopicRegistry registry = broker.topics();
        final int[] topicIndexes = new int[distinct.size()];
        int i = 0;
        for (final String name : distinct)
        {
            final String problem = TopicNames.validate(name);
            if (null != problem)
            {
                reject(request, HttpResponseStatus.BAD_REQUEST, "invalid topic '" + printable(name) + "': " + problem, false);
                return;
            }
            final Topic topic = registry.lookupOrCreate(name);
            if (null == topic)
            {
                unavailable(request, "topic limit reached");
                return;
            }
            topicIndexes[i++] = topic.index();
        }

        String lastEventId = request.headers().get("Last-Event-ID");
        if (null == lastEventId)
        {
            final List<String> fromQuery = params.get("lastEventId");
            if (null != fromQuery && !fromQuery.isEmpty())
            {
                lastEventId = fromQuery.get(0);
            }
        }
        if (null != lastEventId && lastEventId.isEmpty())
        {
            // The browser sends an empty header when it never saw an id: treat as a fresh start.
            lastEventId = null;
        }

        counters.increment(Counter.STREAMS_OPENED);
        cancelRequestTimeout();
        final LoopFanOut fanOut = broker.fanOut(ctx.channel().eventLoop());
        final boolean http10 = HttpVersion.HTTP_1_0.equals(request.protocolVersion());
        final SseStreamHandler stream = new SseStreamHandler(fanOut, counters, http10);
        // From here on the connection carries raw pre-encoded chunks: drop the codec first, so the
        // head and every frame below go straight to the socket.
        final io.netty.channel.Channel channel = ctx.channel();
        ctx.pipeline().addLast(stream);
        ctx.pipeline().remove(HttpServerInitializer.CODEC);
        ctx.pipeline().remove(this);
        channel.write(responses.streamHead(channel.alloc(), origin, http10), channel.voidPromise());
        stream.start(topicIndexes, lastEventId);
    }

    // ------------------------------------------------------------------------------------ publish

    private void beginPublish(final HttpRequest request, final String origin)
    {
        if (broker.isClosing() || stopped)
        {
            unavailable(request, "broker is shutting down");
            return;
        }
        final long contentLength = HttpUtil.getContentLength(request, -1L);
        if (contentLength > maxBodyBytes)
        {
            counters.increment(Counter.HTTP_BODY_TOO_LARGE);
            reject(request, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                "body of " + contentLength + " bytes exceeds the limit of " + maxBodyBytes + " bytes", true);
            return;
        }
        if (HttpUtil.is100ContinueExpected(request))
        {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
        this.request = request;
        this.pendingOrigin = origin;
        this.body = ctx.alloc().compositeBuffer(64);
    }

    private void onContent(final HttpContent content)
    {
        if (null == request || null == body)
        {
            return;
        }
        final ByteBuf chunk = content.content();
        if (body.readableBytes() + chunk.readableBytes() > maxBodyBytes)
        {
            counters.increment(Counter.HTTP_BODY_TOO_LARGE);
            final HttpRequest request = this.request;
            releaseBody();
            this.request = null;
            reject(request, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                "body exceeds the limit of " + maxBodyBytes + " bytes", true);
            return;
        }
        if (chunk.isReadable())
        {
            body.addComponent(true, chunk.retain());
        }
        if (content instanceof LastHttpContent)
        {
            final HttpRequest request = this.request;
            final CompositeByteBuf body = this.body;
            this.body = null;
            this.request = null;
            try
            {
                publish(request, body);
            }
            finally
            {
                body.release();
            }
        }
    }

    private void publish(final HttpRequest request, final ByteBuf body)
    {
        final String origin = pendingOrigin;
        final String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        final QueryStringDecoder query = pendingQuery;
        final String topicName;
        final byte[] eventName;
        final ByteBuf data;
        final boolean form = null != contentType &&
            contentType.toLowerCase(java.util.Locale.ROOT).startsWith("application/x-www-form-urlencoded");
        if (form)
        {
            final Map<String, List<byte[]>> fields;
            try
            {
                fields = FormBody.decode(body);
            }
            catch (final FormBody.MalformedFormException ex)
            {
                reject(request, HttpResponseStatus.BAD_REQUEST, ex.getMessage(), false);
                return;
            }
            final byte[] topicBytes = single(fields, "topic");
            final byte[] dataBytes = single(fields, "data");
            final byte[] eventBytes = single(fields, "event");
            if (null == topicBytes || null == dataBytes || (fields.containsKey("event") && null == eventBytes))
            {
                reject(request, HttpResponseStatus.BAD_REQUEST,
                    "form must have exactly one topic, one data and at most one event field", false);
                return;
            }
            topicName = new String(topicBytes, StandardCharsets.UTF_8);
            eventName = eventBytes;
            data = Unpooled.wrappedBuffer(dataBytes);
        }
        else
        {
            final List<String> topics = query.parameters().get("topic");
            if (null == topics || topics.size() != 1)
            {
                reject(request, HttpResponseStatus.BAD_REQUEST,
                    "missing topic: send a form (topic, data, event) or ?topic=NAME with the data as the body", false);
                return;
            }
            topicName = topics.get(0);
            final List<String> events = query.parameters().get("event");
            eventName = null == events || events.isEmpty() ? null : events.get(0).getBytes(StandardCharsets.UTF_8);
            data = body;
        }

        final String topicProblem = TopicNames.validate(topicName);
        if (null != topicProblem)
        {
            reject(request, HttpResponseStatus.BAD_REQUEST, "invalid topic '" + printable(topicName) + "': " + topicProblem, false);
            return;
        }
        final ByteBuf event = null == eventName ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(eventName);
        if (event.isReadable() && !TopicNames.isValidEventName(event, event.readerIndex(), event.readableBytes()))
        {
            reject(request, HttpResponseStatus.BAD_REQUEST,
                "invalid event name: 1 to 64 printable ASCII characters without spaces", false);
            return;
        }
        if (!data.isReadable())
        {
            reject(request, HttpResponseStatus.BAD_REQUEST, "data must not be empty", false);
            return;
        }
        final int maxData = broker.config().maxDataBytes();
        if (data.readableBytes() > maxData)
        {
            counters.increment(Counter.HTTP_BODY_TOO_LARGE);
            reject(request, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                "data of " + data.readableBytes() + " bytes exceeds the limit of " + maxData + " bytes", false);
            return;
        }
        if (!Utf8Text.isValid(data, data.readerIndex(), data.readableBytes()))
        {
            reject(request, HttpResponseStatus.BAD_REQUEST, "data is not valid UTF-8", false);
            return;
        }
        final Topic topic = broker.topics().lookupOrCreate(topicName);
        if (null == topic)
        {
            unavailable(request, "topic limit reached");
            return;
        }
        if (null == session)
        {
            session = broker.sessions().register(16, ctx.channel().eventLoop(), this);
            if (null == session)
            {
                unavailable(request, "too many publishing connections");
                return;
            }
            producer = broker.ingestRing().newProducer();
        }

        // Copy event and data into one buffer we own until the ring has taken it.
        final ByteBuf message = ctx.alloc().buffer(event.readableBytes() + data.readableBytes());
        message.writeBytes(event, event.readerIndex(), event.readableBytes());
        message.writeBytes(data, data.readerIndex(), data.readableBytes());
        pendingMessage = message;
        pendingTopic = topic.index();
        pendingEventLength = event.readableBytes();
        pendingKeepAlive = HttpUtil.isKeepAlive(request);
        pendingSequence = session.nextSequence();
        pendingDeadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(broker.config().requestTimeoutMs());
        cancelRequestTimeout();
        ctx.channel().config().setAutoRead(false);
        counters.increment(Counter.HTTP_PUBLISHES);
        offerPending();
    }

    private void offerPending()
    {
        final ByteBuf message = pendingMessage;
        if (null == message || !ctx.channel().isActive())
        {
            return;
        }
        final int eventLength = pendingEventLength;
        if (producer.offer(session.id(), pendingSequence, pendingTopic, message,
            message.readerIndex(), eventLength, message.readerIndex() + eventLength, message.readableBytes() - eventLength))
        {
            producer.signalConsumer();
            pendingMessage = null;
            message.release();
            return;
        }
        if (System.nanoTime() - pendingDeadlineNs > 0)
        {
            pendingMessage = null;
            message.release();
            session.markRejected(pendingSequence);
            session.acknowledged(pendingSequence);
            pendingSequence = 0;
            counters.increment(Counter.HTTP_UNAVAILABLE);
            writeResponse(responses.text(ctx.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE,
                "broker is overloaded: ingest ring full, retry later\n", pendingOrigin), pendingKeepAlive);
            return;
        }
        ctx.executor().schedule(this::offerPending, 1, TimeUnit.MILLISECONDS);
    }

    @Override
    public void onSequenced(final PublisherSession session)
    {
        final long sequence = pendingSequence;
        if (0 == sequence || session.sequenced() < sequence || !ctx.channel().isActive())
        {
            return;
        }
        final long id = session.assignedId(sequence);
        session.acknowledged(sequence);
        pendingSequence = 0;
        writeResponse(responses.text(ctx.alloc(), HttpResponseStatus.OK, Long.toString(id), pendingOrigin), pendingKeepAlive);
    }

    private void writeResponse(final FullHttpResponse response, final boolean keepAlive)
    {
        if (!stopped)
        {
            ctx.channel().config().setAutoRead(true);
        }
        if (keepAlive && !broker.isClosing())
        {
            HttpUtil.setKeepAlive(response, true);
            ctx.writeAndFlush(response, ctx.voidPromise());
            armRequestTimeout();
        }
        else
        {
            HttpUtil.setKeepAlive(response, false);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static byte[] single(final Map<String, List<byte[]>> fields, final String name)
    {
        final List<byte[]> values = fields.get(name);
        return null == values || values.size() != 1 ? null : values.get(0);
    }

    // ------------------------------------------------------------------------------------ responses

    private void preflight(final HttpRequest request, final String origin)
    {
        respond(request, responses.preflight(origin,
            request.headers().get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS)), false);
    }

    private void methodNotAllowed(final HttpRequest request, final String allowed)
    {
        counters.increment(Counter.HTTP_METHOD_NOT_ALLOWED);
        final FullHttpResponse response = responses.text(ctx.alloc(), HttpResponseStatus.METHOD_NOT_ALLOWED,
            request.method() + " is not allowed on this path; use " + allowed + "\n",
            request.headers().get(HttpHeaderNames.ORIGIN));
        response.headers().set(HttpHeaderNames.ALLOW, allowed);
        respond(request, response, false);
    }

    private void unavailable(final HttpRequest request, final String reason)
    {
        counters.increment(Counter.HTTP_UNAVAILABLE);
        respond(request, responses.text(ctx.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE, reason + "\n",
            request.headers().get(HttpHeaderNames.ORIGIN)), true);
    }

    private void reject(final HttpRequest request, final HttpResponseStatus status, final String reason, final boolean close)
    {
        if (HttpResponseStatus.BAD_REQUEST.equals(status))
        {
            counters.increment(Counter.HTTP_BAD_REQUEST);
        }
        respond(request, responses.text(ctx.alloc(), status, reason + "\n",
            request.headers().get(HttpHeaderNames.ORIGIN)), close);
    }

    private void rejectMalformed(final HttpRequest request, final Throwable cause)
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
        ctx.writeAndFlush(responses.text(ctx.alloc(), status, reason + "\n", null))
            .addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * Sends a complete response to a request whose body, if any, is not wanted.
     */
    private void respond(final HttpRequest request, final FullHttpResponse response, final boolean forceClose)
    {
        final boolean keepAlive = !forceClose && HttpUtil.isKeepAlive(request) && !broker.isClosing() && !stopped &&
            (!HttpUtil.isContentLengthSet(request) || 0 == HttpUtil.getContentLength(request, 0L)) &&
            !HttpUtil.isTransferEncodingChunked(request);
        if (HttpMethod.HEAD.equals(request.method()))
        {
            response.content().clear();
        }
        if (keepAlive)
        {
            HttpUtil.setKeepAlive(response, true);
            ctx.writeAndFlush(response, ctx.voidPromise());
            armRequestTimeout();
        }
        else
        {
            HttpUtil.setKeepAlive(response, false);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void armRequestTimeout()
    {
        cancelRequestTimeout();
        requestTimeout = ctx.executor().schedule(
            this::onRequestTimeout, broker.config().requestTimeoutMs(), TimeUnit.MILLISECONDS);
    }

    private void cancelRequestTimeout()
    {
        if (null != requestTimeout)
        {
            requestTimeout.cancel(false);
            requestTimeout = null;
        }
    }

    private void onRequestTimeout()
    {
        requestTimeout = null;
        if (!ctx.channel().isActive() || 0 != pendingSequence)
        {
            return;
        }
        counters.increment(Counter.HTTP_REQUEST_TIMEOUT);
        releaseBody();
        request = null;
        ctx.writeAndFlush(responses.text(ctx.alloc(), HttpResponseStatus.REQUEST_TIMEOUT,
            "request not received completely within " + broker.config().requestTimeoutMs() + " ms\n", null))
            .addListener(ChannelFutureListener.CLOSE);
    }

    private void releaseBody()
    {
        if (null != body)
        {
            body.release();
            body = null;
        }
    }

    private void cleanUp()
    {
        cancelRequestTimeout();
        releaseBody();
        if (null != pendingMessage)
        {
            pendingMessage.release();
            pendingMessage = null;
        }
        if (null != session)
        {
            broker.sessions().unregister(session);
            session = null;
        }
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        ConnectionErrors.onException(counters, LOG, "HTTP connection", ctx, cause);
        ctx.close();
    }

    static String printable(final String text)
    {
        final String cut = text.length() > 64 ? text.substring(0, 64) + "..." : text;
        return cut.replaceAll("[^\\x20-\\x7E]", "?");
    }
}

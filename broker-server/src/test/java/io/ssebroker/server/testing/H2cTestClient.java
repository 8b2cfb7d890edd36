package io.ssebroker.server.testing;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2EventAdapter;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;

/**
 * An h2c client with prior knowledge that records what the broker sends, frame by frame, for tests
 * that need HTTP/2's own view: per-stream response headers, DATA text, END_STREAM and RST_STREAM,
 * and the connection's GOAWAY frames and close, in one timeline.
 *
 * <h2>Flow control</h2>
 * Every DATA byte is returned to the broker's window as soon as it is read, except on streams opened
 * {@code stalled}: their bytes are never returned, so their window closes once the broker has sent
 * the initial window size ({@link #connect(int, int, int)}), while the connection window, raised by
 * the same call, stays open for the other streams.
 *
 * <h2>Threading</h2>
 * Requests are written on the client's own event loop and the call waits for that; what arrives is
 * recorded on that loop into thread-safe structures, read by the test thread. Nothing here asserts
 * on the event loop: the test thread waits with {@link Await} and asserts itself.
 *
 * <h2>Reference counting</h2>
 * Received DATA and GOAWAY payloads are copied and released by Netty after each callback; request
 * bodies are handed to the encoder, which releases them. {@link #close()} shuts down the loop.
 */
public final class H2cTestClient implements AutoCloseable
{
    /** The SSE text every stream starts with, with the default {@code retry}. */
    public static final String PREAMBLE = "retry: 3000\n: ok\n\n";

    private static final long DEFAULT_WINDOW = 65_535;
    private static final Duration IO_TIMEOUT = Duration.ofSeconds(10);

    private final int port;
    private final NioEventLoopGroup group;
    private final Channel channel;
    private final ClientHandler handler;
    private final Map<Integer, StreamLog> streams = new ConcurrentHashMap<>();
    private final Set<Integer> stalled = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<String> timeline = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<GoAway> goAways = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();

    private H2cTestClient(final int port, final int initialWindowBytes) throws InterruptedException
    {
        this.port = port;
        this.group = new NioEventLoopGroup(1);
        this.handler = new Builder(this, initialWindowBytes).build();
        try
        {
            this.channel = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)IO_TIMEOUT.toMillis())
                .handler(handler)
                .connect(new InetSocketAddress("127.0.0.1", port))
                .sync()
                .channel();
        }
        catch (final InterruptedException | RuntimeException ex)
        {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw ex;
        }
        channel.closeFuture().addListener(future -> timeline.add("CLOSED"));
    }

    /**
     * Connects with Netty's default windows (64 KiB - 1 per stream and for the connection).
     */
    public static H2cTestClient connect(final int port) throws InterruptedException
    {
        return connect(port, (int)DEFAULT_WINDOW, (int)DEFAULT_WINDOW);
    }

    /**
     * Connects announcing {@code initialWindowBytes} (SETTINGS_INITIAL_WINDOW_SIZE) for every stream
     * and raising the connection window to {@code connectionWindowBytes}.
     */
    public static H2cTestClient connect(final int port, final int initialWindowBytes, final int connectionWindowBytes)
        throws InterruptedException
    {
        final H2cTestClient client = new H2cTestClient(port, initialWindowBytes);
        if (connectionWindowBytes > DEFAULT_WINDOW)
        {
            client.onLoop(() ->
            {
                final Http2Connection connection = client.handler.connection();
                client.handler.decoder().flowController().incrementWindowSize(
                    connection.connectionStream(), (int)(connectionWindowBytes - DEFAULT_WINDOW));
                client.channel.flush();
                return null;
            });
        }
        return client;
    }

    /**
     * Opens {@code GET path} (no body) whose DATA bytes are returned to the window as read.
     *
     * @return the stream id.
     */
    public int get(final String path)
    {
        return open(requestHeaders("GET", path), null, false);
    }

    /**
     * Opens {@code GET path} whose DATA bytes are never returned to the broker's window.
     */
    public int getStalled(final String path)
    {
        return open(requestHeaders("GET", path), null, true);
    }

    /**
     * Sends a whole request: headers, then the body (if not null) as DATA with END_STREAM.
     */
    public int request(final Http2Headers headers, final byte[] body)
    {
        return open(headers, body, false);
    }

    /**
     * @return the pseudo-headers of a request to the broker ({@code :scheme http}, this
     *         connection's {@code :authority}); add regular headers to it.
     */
    public Http2Headers requestHeaders(final String method, final String path)
    {
        return new DefaultHttp2Headers()
            .method(method)
            .scheme("http")
            .authority("127.0.0.1:" + port)
            .path(path);
    }

    /**
     * Sends RST_STREAM with the given code.
     */
    public void reset(final int streamId, final Http2Error error)
    {
        onLoop(() ->
        {
            handler.resetStream(handler.context(), streamId, error.code(), handler.context().newPromise());
            channel.flush();
            return null;
        });
    }

    private int open(final Http2Headers headers, final byte[] body, final boolean stall)
    {
        return onLoop(() ->
        {
            final int streamId = handler.connection().local().incrementAndGetNextStreamId();
            streams.put(streamId, new StreamLog());
            if (stall)
            {
                stalled.add(streamId);
            }
            final ChannelHandlerContext ctx = handler.context();
            final Http2ConnectionEncoder encoder = handler.encoder();
            encoder.writeHeaders(ctx, streamId, headers, 0, null == body, ctx.newPromise()).addListener(
                future -> recordWriteFailure(streamId, "HEADERS", future.cause()));
            if (null != body)
            {
                encoder.writeData(ctx, streamId, Unpooled.wrappedBuffer(body), 0, true, ctx.newPromise()).addListener(
                    future -> recordWriteFailure(streamId, "DATA", future.cause()));
            }
            channel.flush();
            return streamId;
        });
    }

    /**
     * Inbound errors mean the broker broke the protocol; outbound ones are the client's own writes
     * failing, such as a body cut short by the broker's RST_STREAM, and only go to the timeline.
     */
    private void recordError(final boolean outbound, final String error)
    {
        if (outbound)
        {
            timeline.add("OUTBOUND " + error);
        }
        else
        {
            errors.add(error);
            timeline.add("INBOUND " + error);
        }
    }

    private void recordWriteFailure(final int streamId, final String frame, final Throwable cause)
    {
        if (null != cause)
        {
            timeline.add("WRITE_FAILED " + frame + " " + streamId + " " + cause);
        }
    }

    // ------------------------------------------------------------------------------------ views

    /**
     * @return the DATA received on the stream so far, as UTF-8.
     */
    public String text(final int streamId)
    {
        return log(streamId).text();
    }

    /**
     * @return how many DATA bytes the stream has received so far.
     */
    public int receivedBytes(final int streamId)
    {
        return log(streamId).receivedBytes();
    }

    /**
     * @return the response headers of the stream, or null before they arrived.
     */
    public Http2Headers responseHeaders(final int streamId)
    {
        return log(streamId).headers();
    }

    /**
     * @return whether the broker ended the stream with END_STREAM.
     */
    public boolean ended(final int streamId)
    {
        return log(streamId).ended();
    }

    /**
     * @return the RST_STREAM error code the broker sent on the stream, or -1 when none.
     */
    public long resetCode(final int streamId)
    {
        return log(streamId).resetCode();
    }

    /**
     * @return every GOAWAY received, in order.
     */
    public List<GoAway> goAways()
    {
        return new ArrayList<>(goAways);
    }

    /**
     * @return what happened on the connection, in order: {@code HEADERS n}, {@code END_STREAM n},
     *         {@code RST_STREAM n code}, {@code GOAWAY last code}, {@code CLOSED}, ...
     */
    public List<String> timeline()
    {
        return new ArrayList<>(timeline);
    }

    /**
     * @return HTTP/2 errors the client's codec raised on what it received (the broker broke the
     *         protocol), in order.
     */
    public List<String> errors()
    {
        return new ArrayList<>(errors);
    }

    /**
     * @return whether the stream is still open in the client's view.
     */
    public boolean isStreamOpen(final int streamId)
    {
        return onLoop(() ->
        {
            final Http2Stream stream = handler.connection().stream(streamId);
            return null != stream && Http2Stream.State.CLOSED != stream.state();
        });
    }

    public boolean isOpen()
    {
        return channel.isActive();
    }

    /**
     * Waits until the stream's DATA is at least as long as {@code expected}, then returns its text;
     * the caller compares it.
     */
    public String awaitText(final int streamId, final String expected)
    {
        final int length = expected.getBytes(StandardCharsets.UTF_8).length;
        Await.until(() -> "stream " + streamId + " to receive " + SseText.printable(expected) + ", has " +
            SseText.printable(text(streamId)) + "; connection: " + timeline(),
            () -> receivedBytes(streamId) >= length || resetCode(streamId) >= 0 || ended(streamId) || !isOpen(),
            IO_TIMEOUT);
        return text(streamId);
    }

    /**
     * Waits until the broker has ended (END_STREAM) or reset the stream, and returns its response.
     */
    public Response awaitResponse(final int streamId)
    {
        Await.until(() -> "the response on stream " + streamId + "; connection: " + timeline(),
            () -> ended(streamId) || resetCode(streamId) >= 0 || !isOpen(), IO_TIMEOUT);
        final StreamLog log = log(streamId);
        return new Response(log.headers(), log.text(), log.ended(), log.resetCode());
    }

    private StreamLog log(final int streamId)
    {
        final StreamLog log = streams.get(streamId);
        if (null == log)
        {
            throw new AssertionError("stream " + streamId + " was not opened by this client");
        }
        return log;
    }

    private <T> T onLoop(final java.util.concurrent.Callable<T> task)
    {
        try
        {
            return channel.eventLoop().submit(task).get(IO_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
        catch (final ExecutionException | TimeoutException ex)
        {
            throw new IllegalStateException("client event loop task failed", ex);
        }
    }

    @Override
    public void close()
    {
        try
        {
            channel.close().awaitUninterruptibly(IO_TIMEOUT.toMillis());
        }
        finally
        {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(IO_TIMEOUT.toMillis());
        }
    }

    /**
     * One stream as the test sees it once it is over.
     *
     * @param headers   the response headers, null when none arrived.
     * @param body      the DATA as UTF-8.
     * @param ended     whether END_STREAM arrived.
     * @param resetCode the RST_STREAM code, -1 when none.
     */
    public record Response(Http2Headers headers, String body, boolean ended, long resetCode)
    {
        /**
         * @return the {@code :status}, or -1 without headers.
         */
        public int status()
        {
            return null == headers || null == headers.status() ? -1 : Integer.parseInt(headers.status().toString());
        }

        /**
         * @return a header's value, or null.
         */
        public String header(final String name)
        {
            final CharSequence value = null == headers ? null : headers.get(name);
            return null == value ? null : value.toString();
        }
    }

    /**
     * A GOAWAY frame.
     *
     * @param lastStreamId the last stream the broker processed.
     * @param errorCode    the HTTP/2 error code.
     * @param debugData    the debug data as text.
     */
    public record GoAway(int lastStreamId, long errorCode, String debugData)
    {
        public Http2Error error()
        {
            return Http2Error.valueOf(errorCode);
        }
    }

    /** What one stream received. <b>Threading:</b> written on the loop, read anywhere, under its monitor. */
    private static final class StreamLog
    {
        private final ByteArrayOutputStream data = new ByteArrayOutputStream();
        private Http2Headers headers;
        private boolean ended;
        private long resetCode = -1;

        synchronized void onHeaders(final Http2Headers headers, final boolean endOfStream)
        {
            if (null == this.headers)
            {
                this.headers = headers;
            }
            ended |= endOfStream;
        }

        synchronized void onData(final ByteBuf bytes, final boolean endOfStream)
        {
            data.writeBytes(ByteBufUtil.getBytes(bytes));
            ended |= endOfStream;
        }

        synchronized void onReset(final long code)
        {
            resetCode = code;
        }

        synchronized String text()
        {
            return data.toString(StandardCharsets.UTF_8);
        }

        synchronized int receivedBytes()
        {
            return data.size();
        }

        synchronized Http2Headers headers()
        {
            return headers;
        }

        synchronized boolean ended()
        {
            return ended;
        }

        synchronized long resetCode()
        {
            return resetCode;
        }
    }

    /** Records frames; runs on the client's event loop. */
    private final class Recorder extends Http2EventAdapter
    {
        @Override
        public int onDataRead(
            final ChannelHandlerContext ctx, final int streamId, final ByteBuf data, final int padding,
            final boolean endOfStream)
        {
            final StreamLog log = streams.get(streamId);
            if (null != log)
            {
                log.onData(data, endOfStream);
            }
            if (endOfStream)
            {
                timeline.add("END_STREAM " + streamId);
            }
            return stalled.contains(streamId) ? 0 : data.readableBytes() + padding;
        }

        @Override
        public void onHeadersRead(
            final ChannelHandlerContext ctx, final int streamId, final Http2Headers headers, final int padding,
            final boolean endOfStream)
        {
            final StreamLog log = streams.get(streamId);
            if (null != log)
            {
                log.onHeaders(headers, endOfStream);
            }
            timeline.add("HEADERS " + streamId + " " + headers.status());
            if (endOfStream)
            {
                timeline.add("END_STREAM " + streamId);
            }
        }

        @Override
        public void onHeadersRead(
            final ChannelHandlerContext ctx, final int streamId, final Http2Headers headers, final int streamDependency,
            final short weight, final boolean exclusive, final int padding, final boolean endOfStream)
        {
            onHeadersRead(ctx, streamId, headers, padding, endOfStream);
        }

        @Override
        public void onRstStreamRead(final ChannelHandlerContext ctx, final int streamId, final long errorCode)
        {
            final StreamLog log = streams.get(streamId);
            if (null != log)
            {
                log.onReset(errorCode);
            }
            timeline.add("RST_STREAM " + streamId + " " + Http2Error.valueOf(errorCode));
        }

        @Override
        public void onGoAwayRead(
            final ChannelHandlerContext ctx, final int lastStreamId, final long errorCode, final ByteBuf debugData)
        {
            final GoAway goAway = new GoAway(lastStreamId, errorCode, debugData.toString(StandardCharsets.UTF_8));
            goAways.add(goAway);
            timeline.add("GOAWAY " + lastStreamId + " " + goAway.error() + " " + goAway.debugData());
        }
    }

    /** The connection handler, so the client's own protocol errors are recorded rather than only logged. */
    private static final class ClientHandler extends Http2ConnectionHandler
    {
        private final H2cTestClient client;
        private ChannelHandlerContext ctx;

        ClientHandler(
            final H2cTestClient client,
            final Http2ConnectionDecoder decoder,
            final Http2ConnectionEncoder encoder,
            final Http2Settings settings)
        {
            super(decoder, encoder, settings);
            this.client = client;
        }

        @Override
        public void handlerAdded(final ChannelHandlerContext ctx) throws Exception
        {
            this.ctx = ctx;
            super.handlerAdded(ctx);
        }

        ChannelHandlerContext context()
        {
            return ctx;
        }

        @Override
        protected void onConnectionError(
            final ChannelHandlerContext ctx, final boolean outbound, final Throwable cause, final Http2Exception http2Ex)
        {
            client.recordError(outbound, "connection error: " + cause);
            super.onConnectionError(ctx, outbound, cause, http2Ex);
        }

        @Override
        protected void onStreamError(
            final ChannelHandlerContext ctx,
            final boolean outbound,
            final Throwable cause,
            final Http2Exception.StreamException http2Ex)
        {
            client.recordError(outbound, "stream " + http2Ex.streamId() + " error: " + cause);
            super.onStreamError(ctx, outbound, cause, http2Ex);
        }
    }

    private static final class Builder extends AbstractHttp2ConnectionHandlerBuilder<ClientHandler, Builder>
    {
        private final H2cTestClient client;

        Builder(final H2cTestClient client, final int initialWindowBytes)
        {
            this.client = client;
            server(false);
            initialSettings(new Http2Settings().pushEnabled(false).initialWindowSize(initialWindowBytes));
            frameListener(client.new Recorder());
            // A stream the broker leaves open must not hold the client's close.
            gracefulShutdownTimeoutMillis(0);
        }

        @Override
        public ClientHandler build()
        {
            return super.build();
        }

        @Override
        protected ClientHandler build(
            final Http2ConnectionDecoder decoder, final Http2ConnectionEncoder encoder, final Http2Settings settings)
        {
            return new ClientHandler(client, decoder, encoder, settings);
        }
    }
}

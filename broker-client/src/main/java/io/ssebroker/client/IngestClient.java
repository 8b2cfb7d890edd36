package io.ssebroker.client;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.internal.PlatformDependent;

import static io.ssebroker.client.IngestFrameDescriptor.LENGTH_FIELD_BYTES;

/**
 * Publisher side of one ingest protocol connection (docs/ingest-protocol.md, version 1).
 * <p>
 * {@link #connect} sends {@code HELLO} and blocks until {@code WELCOME}, which fixes {@link #maxInFlight()},
 * {@link #maxDataBytes()} and {@link #epochId()}. Publish frames are numbered 1, 2, 3 … in the order they are
 * written, as the broker numbers them; every number is answered exactly once, by an {@code ACK} run or an
 * {@code ERROR}.
 *
 * <h2>Two ways to publish</h2>
 * <ul>
 *   <li>{@link #publish(String, String, byte[])} returns a future of the event id. It allocates the future and
 *       boxes the id; it is the convenient path.</li>
 *   <li>{@link #tryPublish} returns the frame number, or {@link #BACK_PRESSURED} / {@link #CLOSED}, and the
 *       answers go to the {@link AckListener} given in the {@link Context}. With names that are reused
 *       (for example {@link io.netty.util.AsciiString} constants) and data in a reused array it allocates
 *       nothing but the pooled frame buffer.</li>
 * </ul>
 *
 * <h2>Back pressure</h2>
 * The client never queues without bound. A frame is written only while fewer than {@link #window()} frames
 * are unanswered (the broker's {@code maxInFlight}, or less if the {@link Context} asks) and the channel is
 * writable (its outbound bytes are under the write-buffer high-water mark). Otherwise {@link #tryPublish}
 * returns {@link #BACK_PRESSURED} at once, and {@link #publish(String, String, byte[])} <em>blocks</em> the
 * calling thread, parking with a growing back-off, until there is room or {@link Context#publishTimeoutMs}
 * passes (then the future fails with {@link IngestErrorCode#TIMEOUT}); on the event loop it cannot wait and
 * fails with {@link IngestErrorCode#BACK_PRESSURED}. Unanswered means "not in the contiguous prefix of
 * answered numbers", a slightly stricter count than the broker's, since an {@code ERROR} may overtake the
 * {@code ACK} of an earlier frame.
 *
 * <h2>Flushing</h2>
 * Publishing puts the encoded frame on a multi-producer queue and schedules one flush task on the event loop
 * unless one is already pending; the task drains the queue into the channel and flushes once, so frames
 * published while the loop is busy leave in one write system call. Frames do not go through an off-loop
 * {@code channel.write}: that becomes a task of its own, which can land behind the pending flush task and then
 * wait unflushed until the next publish. The queue holds at most {@link #window()} frames, since every frame in
 * it is unanswered. {@link #flush()} drains and flushes now (on the loop) or schedules it.
 *
 * <h2>Errors</h2>
 * Per-frame codes (16–31) fail that frame only. Connection-level codes, a malformed frame from the broker
 * ({@link IngestErrorCode#PROTOCOL_VIOLATION}) or a lost connection ({@link IngestErrorCode#CONNECTION_CLOSED})
 * fail every unanswered frame with that code, close the connection and make later publishes return
 * {@link #CLOSED}. The client does not reconnect: a frame without an answer may or may not have been
 * sequenced, and only the application can decide whether to send it again.
 *
 * <h2>Reference counting</h2>
 * Each publish copies the data into one pooled buffer that the channel owns from {@code write} on; the
 * caller keeps ownership of what it passed in.
 *
 * <h2>Threading</h2>
 * Publishing methods may be called from any thread; frame numbering and the write order are kept together
 * by a lock that is held only while encoding and enqueuing a frame. Acknowledgements, errors,
 * {@link AckListener} calls and future completions run on the connection's event loop. The window state
 * ({@code answeredThroughSeq}) has the event loop as its single writer.
 */
public final class IngestClient implements AutoCloseable
{
    /** {@link #tryPublish} result: the in-flight window is full or the channel is not writable; try again later. */
    public static final long BACK_PRESSURED = -1;
    /** {@link #tryPublish} result: the connection is closed or closing; see {@link #closeCode()}. */
    public static final long CLOSED = -2;

    private static final long MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int MAX_WINDOW = 1 << 20;

    /**
     * Settings of a client. Fluent setters; read by {@link #connect(Context)} once.
     * <p>
     * <b>Threading:</b> not thread-safe; configure on one thread, then connect.
     */
    public static final class Context
    {
        private String host = "127.0.0.1";
        private int port = 7070;
        private String token = "";
        private String name = "";
        private String publisherId;
        private long connectTimeoutMs = 10_000;
        private long publishTimeoutMs = 30_000;
        private long closeTimeoutMs = 10_000;
        private long flushLingerUs;
        private int maxInFlight;
        private int writeBufferHighWaterMarkBytes = 1024 * 1024;
        private EventLoopGroup group;
        private AckListener listener;

        public Context host(final String host)
        {
            this.host = host;
            return this;
        }

        public String host()
        {
            return host;
        }

        public Context port(final int port)
        {
            this.port = port;
            return this;
        }

        public int port()
        {
            return port;
        }

        /**
         * @param token credential sent in {@code HELLO}, null or empty for none.
         * @return this.
         */
        public Context token(final String token)
        {
            this.token = null == token ? "" : token;
            return this;
        }

        public String token()
        {
            return token;
        }

        /**
         * @param name publisher name for the broker's logs, at most 255 UTF-8 bytes.
         * @return this.
         */
        public Context name(final String name)
        {
            this.name = null == name ? "" : name;
            return this;
        }

        public String name()
        {
            return name;
        }

        /**
         * @param publisherId stable id of this publisher across connections and restarts (protocol
         *                    version 2): 1 to 64 bytes of {@code A-Z a-z 0-9 . _ - : ~ @}; null for version 1.
         * @return this.
         */
        public Context publisherId(final String publisherId)
        {
            this.publisherId = publisherId;
            return this;
        }

        public String publisherId()
        {
            return publisherId;
        }

        /**
         * @param connectTimeoutMs how long {@link #connect(Context)} waits for the TCP connection and {@code WELCOME}.
         * @return this.
         */
        public Context connectTimeoutMs(final long connectTimeoutMs)
        {
            this.connectTimeoutMs = connectTimeoutMs;
            return this;
        }

        public long connectTimeoutMs()
        {
            return connectTimeoutMs;
        }

        /**
         * @param publishTimeoutMs how long a blocking {@link #publish(String, String, byte[])} waits for room.
         * @return this.
         */
        public Context publishTimeoutMs(final long publishTimeoutMs)
        {
            this.publishTimeoutMs = publishTimeoutMs;
            return this;
        }

        public long publishTimeoutMs()
        {
            return publishTimeoutMs;
        }

        /**
         * @param closeTimeoutMs how long {@link #close()} waits for outstanding answers.
         * @return this.
         */
        public Context closeTimeoutMs(final long closeTimeoutMs)
        {
            this.closeTimeoutMs = closeTimeoutMs;
            return this;
        }

        public long closeTimeoutMs()
        {
            return closeTimeoutMs;
        }

        /**
         * @param flushLingerUs how long a published frame may wait to be written, so that the frames published
         *                      meanwhile go out in the same socket write; 0 (the default) writes each at once. A
         *                      publisher of thousands of events a second saves a write, and the broker a read and an
         *                      acknowledgement, per event it gathers, for at most this much added latency.
         * @return this.
         */
        public Context flushLingerUs(final long flushLingerUs)
        {
            if (flushLingerUs < 0)
            {
                throw new IllegalArgumentException("flushLingerUs must not be negative: " + flushLingerUs);
            }
            this.flushLingerUs = flushLingerUs;
            return this;
        }

        public long flushLingerUs()
        {
            return flushLingerUs;
        }

        /**
         * @param maxInFlight client-side cap on unanswered frames, 0 to use the broker's {@code maxInFlight}.
         * @return this.
         */
        public Context maxInFlight(final int maxInFlight)
        {
            this.maxInFlight = maxInFlight;
            return this;
        }

        public int maxInFlight()
        {
            return maxInFlight;
        }

        /**
         * @param writeBufferHighWaterMarkBytes outbound bytes above which the channel is not writable.
         * @return this.
         */
        public Context writeBufferHighWaterMarkBytes(final int writeBufferHighWaterMarkBytes)
        {
            this.writeBufferHighWaterMarkBytes = writeBufferHighWaterMarkBytes;
            return this;
        }

        public int writeBufferHighWaterMarkBytes()
        {
            return writeBufferHighWaterMarkBytes;
        }

        /**
         * @param group event loop group to share; the client does not shut it down. Null for a private one.
         * @return this.
         */
        public Context group(final EventLoopGroup group)
        {
            this.group = group;
            return this;
        }

        public EventLoopGroup group()
        {
            return group;
        }

        /**
         * @param listener receives every answer on the event loop; may be null.
         * @return this.
         */
        public Context listener(final AckListener listener)
        {
            this.listener = listener;
            return this;
        }

        public AckListener listener()
        {
            return listener;
        }
    }

    private final Object publishLock = new Object();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final AtomicLong pingNonce = new AtomicLong();
    private final Map<Long, PendingPing> pings = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> handshake = new CompletableFuture<>();
    private final Runnable flushTask = this::runFlush;
    /** Delay of the scheduled flush after the first frame queued since the last one; 0: at once. */
    private final long flushLingerNs;
    // Multi-producer (publishing threads), single consumer (the event loop's flush task).
    private final Queue<ByteBuf> outbound = PlatformDependent.newMpscQueue();
    private final ConnectionHandler connectionHandler = new ConnectionHandler();
    private final AckListener listener;
    private final EventLoopGroup ownedGroup;
    private final int maxInFlightCap;
    private final long publishTimeoutNs;
    private final long closeTimeoutMs;
    private final byte[] tokenBytes;
    private final byte[] nameBytes;
    private final byte[] publisherIdBytes;

    private Channel channel;

    // Written once by the event loop on WELCOME, before completing the handshake future that publishes them.
    private int version;
    private long maxFrameBytes = IngestFrameDescriptor.DEFAULT_MAX_FRAME_BYTES;
    private long maxDataBytes;
    private long maxInFlight;
    private long epochId;
    private long lastPublisherSeq;
    private int window;
    private int mask;
    private CompletableFuture<Long>[] futures;
    private boolean[] answered;

    // Guarded by publishLock.
    private long nextSeq = 1;

    // Written under publishLock: highest frame number handed to the channel.
    private volatile long publishedSeq;
    // Single writer, the event loop: every frame up to this number is answered and its slot is free again.
    private volatile long answeredThroughSeq;
    // Written under publishLock; once true, tryPublish returns CLOSED.
    private volatile boolean closed;
    private volatile boolean closing;
    private volatile int closeCode;
    private volatile String closeMessage;

    IngestClient(final Context ctx, final EventLoopGroup ownedGroup)
    {
        this.listener = ctx.listener();
        this.ownedGroup = ownedGroup;
        this.maxInFlightCap = ctx.maxInFlight();
        this.publishTimeoutNs = TimeUnit.MILLISECONDS.toNanos(ctx.publishTimeoutMs());
        this.closeTimeoutMs = ctx.closeTimeoutMs();
        this.flushLingerNs = TimeUnit.MICROSECONDS.toNanos(ctx.flushLingerUs());
        this.tokenBytes = ctx.token().getBytes(StandardCharsets.UTF_8);
        this.nameBytes = ctx.name().getBytes(StandardCharsets.UTF_8);
        this.publisherIdBytes = null == ctx.publisherId() ? null : ctx.publisherId().getBytes(StandardCharsets.US_ASCII);
        if (null != publisherIdBytes &&
            (0 == publisherIdBytes.length || publisherIdBytes.length > IngestFrameDescriptor.MAX_PUBLISHER_ID_BYTES))
        {
            throw new IllegalArgumentException("publisherId must be 1 to 64 bytes, was " + publisherIdBytes.length);
        }
        if (maxInFlightCap < 0)
        {
            throw new IllegalArgumentException("maxInFlight must be 0 (broker's) or positive, was " + maxInFlightCap);
        }
        if (nameBytes.length > IngestFrameDescriptor.MAX_NAME_BYTES)
        {
            throw new IllegalArgumentException("name must be at most 255 UTF-8 bytes, was " + nameBytes.length);
        }
    }

    /**
     * Connects with default settings and waits for {@code WELCOME}.
     *
     * @param host  broker host.
     * @param port  ingest port.
     * @param token credential, null or empty for none.
     * @param name  publisher name, null or empty for none.
     * @return a connected client.
     * @throws IngestException when the connection, the handshake or its timeout fails.
     */
    public static IngestClient connect(final String host, final int port, final String token, final String name)
    {
        return connect(new Context().host(host).port(port).token(token).name(name));
    }

    /**
     * Connects and waits for {@code WELCOME} at most {@link Context#connectTimeoutMs()}.
     *
     * @param ctx settings.
     * @return a connected client.
     * @throws IngestException when the connection, the handshake or its timeout fails.
     */
    public static IngestClient connect(final Context ctx)
    {
        final EventLoopGroup ownedGroup = null == ctx.group() ? NettyTransport.newEventLoopGroup(1, "ingest-client") : null;
        final EventLoopGroup group = null == ownedGroup ? ctx.group() : ownedGroup;
        final IngestClient client;
        try
        {
            client = new IngestClient(ctx, ownedGroup);
        }
        catch (final RuntimeException ex)
        {
            shutdown(ownedGroup);
            throw ex;
        }

        final int highWaterMark = Math.max(ctx.writeBufferHighWaterMarkBytes(), 2);
        final Bootstrap bootstrap = new Bootstrap()
            .group(group)
            .channel(NettyTransport.socketChannelClass(group))
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)Math.min(Integer.MAX_VALUE, ctx.connectTimeoutMs()))
            .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(highWaterMark / 2, highWaterMark))
            .handler(new ChannelInitializer<SocketChannel>()
            {
                protected void initChannel(final SocketChannel ch)
                {
                    client.attach(ch.pipeline());
                }
            });

        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ctx.connectTimeoutMs());
        final ChannelFuture connectFuture = bootstrap.connect(ctx.host(), ctx.port());
        connectFuture.awaitUninterruptibly(ctx.connectTimeoutMs());
        if (!connectFuture.isSuccess())
        {
            connectFuture.cancel(false);
            connectFuture.channel().close().awaitUninterruptibly();
            shutdown(ownedGroup);
            throw new IngestException(
                IngestErrorCode.CONNECTION_CLOSED, "connect to " + ctx.host() + ":" + ctx.port() + " failed",
                connectFuture.cause());
        }

        client.sendHello();
        try
        {
            client.handshake.get(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
            return client;
        }
        catch (final TimeoutException ex)
        {
            client.abort();
            throw new IngestException(
                IngestErrorCode.TIMEOUT, 0, "no WELCOME within " + ctx.connectTimeoutMs() + " ms");
        }
        catch (final ExecutionException ex)
        {
            client.abort();
            if (ex.getCause() instanceof IngestException)
            {
                throw (IngestException)ex.getCause();
            }
            throw new IngestException(IngestErrorCode.CONNECTION_CLOSED, "handshake failed", ex.getCause());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            client.abort();
            throw new IngestException(IngestErrorCode.CONNECTION_CLOSED, "interrupted during handshake", ex);
        }
    }

    /**
     * Installs the decoder and connection handler; package-private so tests can drive an
     * {@code EmbeddedChannel}.
     *
     * @param pipeline pipeline of the connection.
     */
    void attach(final ChannelPipeline pipeline)
    {
        channel = pipeline.channel();
        pipeline.addLast("ingest-decoder", new IngestFrameDecoder(connectionHandler));
        pipeline.addLast("ingest-client", connectionHandler);
    }

    /**
     * Writes and flushes {@code HELLO}; package-private for tests.
     */
    void sendHello()
    {
        final ByteBuf hello =
            channel.alloc().ioBuffer(IngestFrameEncoder.helloFrameBytes(tokenBytes, nameBytes, publisherIdBytes));
        try
        {
            IngestFrameEncoder.encodeHello(hello, tokenBytes, nameBytes, publisherIdBytes);
        }
        catch (final RuntimeException ex)
        {
            hello.release();
            throw ex;
        }
        channel.writeAndFlush(hello, channel.voidPromise());
    }

    /**
     * @return future completed when {@code WELCOME} arrives; package-private for tests.
     */
    CompletableFuture<Void> handshake()
    {
        return handshake;
    }

    /**
     * Publishes and returns a future of the event id, blocking while the window is full (see the class
     * Javadoc, <em>Back pressure</em>).
     *
     * @param topic topic name.
     * @param event SSE event name, null for a plain {@code message}.
     * @param data  payload, UTF-8; copied.
     * @return completes with the event id, or exceptionally with an {@link IngestException}.
     * @throws IllegalArgumentException when the frame would exceed the broker's {@code maxFrameBytes} or a field
     *                                  length cannot be encoded.
     */
    public CompletableFuture<Long> publish(final String topic, final String event, final byte[] data)
    {
        return publish(0, topic, event, data);
    }

    /**
     * Publishes with a publisher sequence (protocol version 2, a client with a
     * {@link Context#publisherId}): the broker takes each sequence once, and answers a resend of one
     * it took with the id the first copy got. Sequences must increase on a connection.
     *
     * @param publisherSeq sequence of this event among the publisher's events, or 0 for none.
     * @return as {@link #publish(String, String, byte[])}.
     */
    public CompletableFuture<Long> publish(
        final long publisherSeq, final String topic, final String event, final byte[] data)
    {
        if (0 != publisherSeq && null == publisherIdBytes)
        {
            throw new IllegalArgumentException("a publisher sequence needs Context.publisherId (protocol version 2)");
        }
        final CompletableFuture<Long> future = new CompletableFuture<>();
        final long deadlineNs = System.nanoTime() + publishTimeoutNs;
        long parkNs = 1_000;
        while (true)
        {
            final long result = offer(publisherSeq, topic, event, data, 0, null, 0, data.length, future);
            if (result > 0)
            {
                return future;
            }
            if (CLOSED == result)
            {
                future.completeExceptionally(closeException(0));
                return future;
            }
            if (channel.eventLoop().inEventLoop())
            {
                future.completeExceptionally(new IngestException(
                    IngestErrorCode.BACK_PRESSURED, 0, "window full and publish was called on the event loop"));
                return future;
            }
            if (deadlineNs - System.nanoTime() < 0)
            {
                future.completeExceptionally(new IngestException(
                    IngestErrorCode.TIMEOUT, 0, "no room in the in-flight window within the publish timeout"));
                return future;
            }
            LockSupport.parkNanos(parkNs);
            parkNs = Math.min(parkNs << 1, MAX_PARK_NS);
        }
    }

    /**
     * Publishes without blocking; the answer goes to the {@link AckListener}.
     *
     * @param topic topic name.
     * @param event SSE event name, null for a plain {@code message}.
     * @param data  payload array, UTF-8; copied.
     * @param dataOffset offset of the payload in {@code data}.
     * @param dataLength payload length.
     * @return the publish frame number (positive), {@link #BACK_PRESSURED} or {@link #CLOSED}.
     * @throws IllegalArgumentException when the frame would exceed the broker's {@code maxFrameBytes}.
     */
    public long tryPublish(
        final CharSequence topic, final CharSequence event, final byte[] data, final int dataOffset, final int dataLength)
    {
        return offer(0, topic, event, data, dataOffset, null, 0, dataLength, null);
    }

    /**
     * Publishes without blocking; the answer goes to the {@link AckListener}.
     *
     * @param topic topic name.
     * @param event SSE event name, null for a plain {@code message}.
     * @param data  payload, its readable bytes; copied, and neither released nor moved.
     * @return the publish frame number (positive), {@link #BACK_PRESSURED} or {@link #CLOSED}.
     * @throws IllegalArgumentException when the frame would exceed the broker's {@code maxFrameBytes}.
     */
    public long tryPublish(final CharSequence topic, final CharSequence event, final ByteBuf data)
    {
        return offer(0, topic, event, null, 0, data, data.readerIndex(), data.readableBytes(), null);
    }

    /**
     * Flushes written frames now instead of when the scheduled flush runs.
     */
    public void flush()
    {
        if (channel.eventLoop().inEventLoop())
        {
            runFlush();
        }
        else
        {
            channel.eventLoop().execute(flushTask); // now, whatever the linger
        }
    }

    /**
     * Sends {@code PING}.
     *
     * @return completes with the round trip in nanoseconds, or exceptionally when the connection closes first.
     */
    public CompletableFuture<Long> ping()
    {
        final CompletableFuture<Long> future = new CompletableFuture<>();
        final long nonce = pingNonce.incrementAndGet();
        pings.put(nonce, new PendingPing(future, System.nanoTime()));
        if (closed || closing)
        {
            pings.remove(nonce);
            future.completeExceptionally(closeException(0));
            return future;
        }
        final ByteBuf frame = channel.alloc().ioBuffer(IngestFrameDescriptor.HEADER_BYTES + 8);
        IngestFrameEncoder.encodePing(frame, nonce);
        channel.writeAndFlush(frame, channel.voidPromise());
        return future;
    }

    /**
     * Flushes, waits up to {@link Context#closeTimeoutMs()} for every published frame to be answered, then
     * closes the connection. Frames still unanswered fail with {@link IngestErrorCode#CLOSED_BY_CLIENT}.
     */
    public void close()
    {
        close(closeTimeoutMs);
    }

    /**
     * Flushes, waits up to {@code timeoutMs} for every published frame to be answered, then closes. On the
     * event loop it does not wait.
     *
     * @param timeoutMs longest wait for outstanding answers.
     * @return true when every published frame was answered before the connection was closed.
     */
    public boolean close(final long timeoutMs)
    {
        synchronized (publishLock)
        {
            closing = true;
        }

        boolean drained = true;
        if (null != channel)
        {
            channel.flush();
            final boolean onLoop = channel.eventLoop().inEventLoop();
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            long parkNs = 1_000;
            while (!onLoop && !closed && inFlight() > 0 && deadlineNs - System.nanoTime() > 0)
            {
                LockSupport.parkNanos(parkNs);
                parkNs = Math.min(parkNs << 1, MAX_PARK_NS);
            }
            drained = 0 == inFlight();
            final ChannelFuture closeFuture = channel.close();
            if (!onLoop)
            {
                closeFuture.awaitUninterruptibly(timeoutMs);
            }
        }
        shutdown(ownedGroup);
        return drained;
    }

    /**
     * @return protocol version agreed in {@code WELCOME}.
     */
    public int version()
    {
        return version;
    }

    /**
     * @return largest frame length the broker accepts.
     */
    public long maxFrameBytes()
    {
        return maxFrameBytes;
    }

    /**
     * @return largest publish data the broker accepts.
     */
    public long maxDataBytes()
    {
        return maxDataBytes;
    }

    /**
     * @return unanswered publish frames beyond which the broker stops reading, from {@code WELCOME}.
     */
    public long maxInFlight()
    {
        return maxInFlight;
    }

    /**
     * @return first event id of the broker run.
     */
    public long epochId()
    {
        return epochId;
    }

    /**
     * @return version 2: the highest publisher sequence the broker had taken from this publisher id
     *         when it sent {@code WELCOME} (frames still on their way may raise it); 0 for none.
     */
    public long lastPublisherSeq()
    {
        return lastPublisherSeq;
    }

    /**
     * @return unanswered frames the client allows: the broker's {@code maxInFlight}, or the context's cap if lower.
     */
    public int window()
    {
        return window;
    }

    /**
     * @return frames published and not yet in the answered prefix.
     */
    public long inFlight()
    {
        return publishedSeq - answeredThroughSeq;
    }

    /**
     * @return number of the last frame published, 0 before the first.
     */
    public long publishedSeq()
    {
        return publishedSeq;
    }

    /**
     * @return true once the connection has ended or {@link #close()} began.
     */
    public boolean isClosed()
    {
        return closed || closing;
    }

    /**
     * @return the code that ended the connection, 0 while it is open.
     */
    public int closeCode()
    {
        return closed ? closeCode : 0;
    }

    private long offer(
        final long publisherSeq,
        final CharSequence topic,
        final CharSequence event,
        final byte[] array,
        final int arrayOffset,
        final ByteBuf buffer,
        final int bufferIndex,
        final int dataLength,
        final CompletableFuture<Long> future)
    {
        final int topicBytes = ByteBufUtil.utf8Bytes(topic);
        final int eventBytes = null == event ? 0 : ByteBufUtil.utf8Bytes(event);
        final boolean version2 = null != publisherIdBytes;
        final long frameLength = IngestFrameDescriptor.publishFrameLength(topicBytes, eventBytes, dataLength, version2);
        if (frameLength > maxFrameBytes)
        {
            throwFrameTooLarge(frameLength);
        }

        synchronized (publishLock)
        {
            if (closed || closing)
            {
                return CLOSED;
            }
            final long seq = nextSeq;
            final Channel channel = this.channel;
            if (seq - answeredThroughSeq > window || !channel.isWritable())
            {
                return BACK_PRESSURED;
            }

            final ByteBuf frame = channel.alloc().ioBuffer(LENGTH_FIELD_BYTES + (int)frameLength);
            try
            {
                IngestFrameEncoder.writePublishHeader(
                    frame, publisherSeq, version2, topic, topicBytes, event, eventBytes, dataLength);
                if (null != buffer)
                {
                    frame.writeBytes(buffer, bufferIndex, dataLength);
                }
                else
                {
                    frame.writeBytes(array, arrayOffset, dataLength);
                }
            }
            catch (final RuntimeException ex)
            {
                frame.release();
                throw ex;
            }

            if (null != future)
            {
                // The slot is free: seq - answeredThroughSeq <= window <= slots, and the event loop cleared every
                // slot up to answeredThroughSeq before its volatile write, which our read above acquired.
                futures[(int)seq & mask] = future;
            }
            nextSeq = seq + 1;
            publishedSeq = seq;
            // Queued under the lock so that the wire order is the numbering order. Frames go through
            // our own queue rather than channel.write from this thread: an off-loop write becomes a task
            // that can land behind an already-queued flush task and then wait unflushed.
            outbound.offer(frame);
            scheduleFlush();
            return seq;
        }
    }

    private void scheduleFlush()
    {
        if (!flushScheduled.get() && flushScheduled.compareAndSet(false, true))
        {
            if (0 == flushLingerNs)
            {
                channel.eventLoop().execute(flushTask);
            }
            else
            {
                channel.eventLoop().schedule(flushTask, flushLingerNs, TimeUnit.NANOSECONDS);
            }
        }
    }

    private void runFlush()
    {
        // Cleared before draining so a frame queued during the drain schedules another one.
        flushScheduled.set(false);
        ByteBuf frame;
        boolean wrote = false;
        while (null != (frame = outbound.poll()))
        {
            if (channel.isActive())
            {
                channel.write(frame, channel.voidPromise());
                wrote = true;
            }
            else
            {
                frame.release();
            }
        }
        if (wrote)
        {
            channel.flush();
        }
    }

    private void abort()
    {
        synchronized (publishLock)
        {
            closing = true;
        }
        if (null != channel)
        {
            channel.close().awaitUninterruptibly();
        }
        shutdown(ownedGroup);
    }

    private IngestException closeException(final long seq)
    {
        final int code = closed ? closeCode : IngestErrorCode.CLOSED_BY_CLIENT;
        final String message = closed ? closeMessage : "client is closing";
        return new IngestException(code, seq, message);
    }

    private static void shutdown(final EventLoopGroup group)
    {
        if (null != group && !group.isShuttingDown())
        {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    private static void throwFrameTooLarge(final long frameLength)
    {
        throw new IllegalArgumentException(
            "publish frame length " + frameLength + " exceeds the broker's maxFrameBytes; shorten the data");
    }

    private static final class PendingPing
    {
        final CompletableFuture<Long> future;
        final long sentNs;

        PendingPing(final CompletableFuture<Long> future, final long sentNs)
        {
            this.future = future;
            this.sentNs = sentNs;
        }
    }

    /**
     * Applies decoded frames to the window and reports the connection's end. Confined to the event loop.
     */
    private final class ConnectionHandler extends ChannelInboundHandlerAdapter implements IngestFrameDecoder.FrameHandler
    {
        private boolean terminating;

        @SuppressWarnings("unchecked")
        public void onWelcome(
            final int version,
            final long maxFrameBytes,
            final long maxDataBytes,
            final long maxInFlight,
            final long epochId,
            final long lastPublisherSeq)
        {
            if (terminating)
            {
                return;
            }
            if (handshake.isDone())
            {
                violation("second WELCOME");
                return;
            }
            final int expectedVersion = null == publisherIdBytes ? IngestFrameDescriptor.VERSION : IngestFrameDescriptor.VERSION_2;
            if (expectedVersion != version || maxInFlight < 1 || maxFrameBytes < 1)
            {
                violation("WELCOME with version " + version + ", maxFrameBytes " + maxFrameBytes +
                    ", maxInFlight " + maxInFlight + "; expected version " + expectedVersion + " and positive limits");
                return;
            }

            long window = Math.min(maxInFlight, MAX_WINDOW);
            if (maxInFlightCap > 0)
            {
                window = Math.min(window, maxInFlightCap);
            }
            int slots = 1;
            while (slots < window)
            {
                slots <<= 1;
            }

            IngestClient.this.version = version;
            IngestClient.this.maxFrameBytes = maxFrameBytes;
            IngestClient.this.maxDataBytes = maxDataBytes;
            IngestClient.this.maxInFlight = maxInFlight;
            IngestClient.this.epochId = epochId;
            IngestClient.this.lastPublisherSeq = lastPublisherSeq;
            IngestClient.this.futures = (CompletableFuture<Long>[])new CompletableFuture<?>[slots];
            IngestClient.this.answered = new boolean[slots];
            IngestClient.this.mask = slots - 1;
            IngestClient.this.window = (int)window;
            handshake.complete(null);
        }

        public void onAck(final long firstSeq, final long count, final long firstId)
        {
            if (terminating)
            {
                return;
            }
            final long lastSeq = firstSeq + count - 1;
            if (!handshake.isDone() || count < 1 || firstSeq <= answeredThroughSeq || lastSeq > publishedSeq)
            {
                violation("ACK firstSeq " + firstSeq + " count " + count + " outside the unanswered frames (" +
                    (answeredThroughSeq + 1) + ".." + publishedSeq + ")");
                return;
            }

            final boolean[] answered = IngestClient.this.answered;
            final CompletableFuture<Long>[] futures = IngestClient.this.futures;
            final int mask = IngestClient.this.mask;
            for (long seq = firstSeq; seq <= lastSeq; seq++)
            {
                if (answered[(int)seq & mask])
                {
                    violation("ACK covers frame " + seq + " which was already answered");
                    return;
                }
            }
            for (long seq = firstSeq; seq <= lastSeq; seq++)
            {
                final int slot = (int)seq & mask;
                answered[slot] = true;
                final CompletableFuture<Long> future = futures[slot];
                if (null != future)
                {
                    future.complete(firstId + (seq - firstSeq));
                }
            }
            if (null != listener)
            {
                listener.onAck(firstSeq, (int)count, firstId);
            }
            advanceAnswered();
        }

        public void onPong(final long nonce)
        {
            final PendingPing ping = pings.remove(nonce);
            if (null != ping)
            {
                ping.future.complete(System.nanoTime() - ping.sentNs);
            }
        }

        public void onError(final long seq, final int code, final String message)
        {
            if (terminating)
            {
                return;
            }
            if (0 == seq || !IngestErrorCode.isFrameLevel(code))
            {
                terminate(code, message);
                return;
            }
            if (!handshake.isDone() || seq <= answeredThroughSeq || seq > publishedSeq || answered[(int)seq & mask])
            {
                violation("ERROR for frame " + seq + " which is not an unanswered frame");
                return;
            }
            fail(seq, code, message);
            advanceAnswered();
        }

        /** Answers frame {@code seq} with an error: its future fails and the listener hears of it. */
        private void fail(final long seq, final int code, final String message)
        {
            final int slot = (int)seq & mask;
            answered[slot] = true;
            final CompletableFuture<Long> future = futures[slot];
            if (null != future)
            {
                future.completeExceptionally(new IngestException(code, seq, message));
            }
            if (null != listener)
            {
                listener.onError(seq, code, message);
            }
        }

        public void channelInactive(final ChannelHandlerContext ctx)
        {
            if (!terminating)
            {
                terminating = true;
                if (closing)
                {
                    closeCode = IngestErrorCode.CLOSED_BY_CLIENT;
                    closeMessage = "closed by the client";
                }
                else
                {
                    closeCode = IngestErrorCode.CONNECTION_CLOSED;
                    closeMessage = "connection closed by the broker or the network";
                }
            }
            failUnanswered();
            runFlush();
            ctx.fireChannelInactive();
        }

        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            if (cause instanceof IngestFrameException)
            {
                violation(cause.getMessage());
            }
            else
            {
                terminate(IngestErrorCode.CONNECTION_CLOSED, String.valueOf(cause));
            }
        }

        private void violation(final String message)
        {
            terminate(IngestErrorCode.PROTOCOL_VIOLATION, message);
        }

        private void terminate(final int code, final String message)
        {
            if (!terminating)
            {
                terminating = true;
                closeCode = code;
                closeMessage = message;
            }
            channel.close();
        }

        private void advanceAnswered()
        {
            final boolean[] answered = IngestClient.this.answered;
            final CompletableFuture<Long>[] futures = IngestClient.this.futures;
            final int mask = IngestClient.this.mask;
            final long publishedSeq = IngestClient.this.publishedSeq;
            long seq = answeredThroughSeq;
            while (seq < publishedSeq && answered[(int)(seq + 1) & mask])
            {
                seq++;
                final int slot = (int)seq & mask;
                answered[slot] = false;
                futures[slot] = null;
            }
            // Volatile write: publishes the cleared slots to the publishing threads that read it.
            answeredThroughSeq = seq;
        }

        private void failUnanswered()
        {
            final int code = closeCode;
            final String message = closeMessage;
            synchronized (publishLock)
            {
                if (closed)
                {
                    return;
                }
                closed = true;
            }

            final IngestException cause = new IngestException(code, 0, message);
            handshake.completeExceptionally(cause);
            for (final PendingPing ping : pings.values())
            {
                ping.future.completeExceptionally(cause);
            }
            pings.clear();

            if (null != answered)
            {
                final long publishedSeq = IngestClient.this.publishedSeq;
                for (long seq = answeredThroughSeq + 1; seq <= publishedSeq; seq++)
                {
                    if (!answered[(int)seq & mask])
                    {
                        fail(seq, code, message);
                    }
                }
                advanceAnswered();
            }
            if (null != listener)
            {
                listener.onClosed(code, message);
            }
        }
    }
}

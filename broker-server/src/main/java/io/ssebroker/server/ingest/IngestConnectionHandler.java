package io.ssebroker.server.ingest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import io.ssebroker.client.BrokerFrameEncoder;
import io.ssebroker.client.HelloFrameReader;
import io.ssebroker.client.LengthPrefixFramer;
import io.ssebroker.client.PublishFrameReader;
import io.ssebroker.codec.TopicNames;
import io.ssebroker.ingest.Deduplication;
import io.ssebroker.ingest.IngestRing;
import io.ssebroker.ingest.PublisherSession;
import io.ssebroker.log.TopicRegistry;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.edge.BrokerEvent;
import io.ssebroker.server.edge.IngestBackend;
import io.ssebroker.server.edge.ConnectionErrors;
import io.ssebroker.server.auth.AuthenticationException;
import io.ssebroker.server.auth.Authenticator;
import io.ssebroker.server.auth.TopicPatterns;
import io.ssebroker.server.config.BrokerConfig;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.TimeUnit;

import static io.ssebroker.client.IngestErrorCode.AUTH_FAILED;
import static io.ssebroker.client.IngestErrorCode.BAD_FRAME;
import static io.ssebroker.client.IngestErrorCode.BAD_HANDSHAKE;
import static io.ssebroker.client.IngestErrorCode.FRAME_TIMEOUT;
import static io.ssebroker.client.IngestErrorCode.FRAME_TOO_LARGE;
import static io.ssebroker.client.IngestErrorCode.INVALID_SEQUENCE;
import static io.ssebroker.client.IngestErrorCode.SEQUENCE_TAKEN;
import static io.ssebroker.client.IngestErrorCode.UNAVAILABLE;
import static io.ssebroker.client.IngestErrorCode.INVALID_TOPIC;
import static io.ssebroker.client.IngestErrorCode.SHUTTING_DOWN;
import static io.ssebroker.client.IngestErrorCode.UNSUPPORTED_VERSION;
import static io.ssebroker.client.IngestFrameDescriptor.ACK_BODY_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.HEADER_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.MAX_HELLO_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.MAX_NAME_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.MAX_PUBLISHER_ID_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.PING_BODY_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.TYPE_HELLO;
import static io.ssebroker.client.IngestFrameDescriptor.TYPE_PING;
import static io.ssebroker.client.IngestFrameDescriptor.TYPE_PUBLISH;
import static io.ssebroker.client.IngestFrameDescriptor.VERSION_2;

/**
 * One publisher connection: frames the byte stream, checks the handshake, validates publishes and
 * offers them to the ingest ring, and turns the sequencer's progress into {@code ACK} frames.
 *
 * <h2>Back pressure</h2>
 * Frames stay in the cumulation buffer, unconsumed, while the ring is full (retried every 50 µs),
 * while {@code maxInFlight} publishes are unacknowledged (resumed by the next acknowledgement), or
 * while the channel is not writable (a publisher that does not read its acks); in each case
 * {@code autoRead} is off, so TCP flow control slows the publisher. Nothing is dropped.
 *
 * <h2>Errors</h2>
 * Per-publish problems (topic, event name, UTF-8, size, empty data) reject that publish with an
 * {@code ERROR} naming its sequence and the connection goes on. Framing and handshake problems are
 * connection-level: an {@code ERROR} with sequence 0, then close. Each is counted. Before that
 * {@code ERROR}, every publish already offered to the ring is acknowledged (the handler stops
 * reading and waits for the sequencer), so the publisher never resends one that subscribers got.
 *
 * <h2>Reference counting</h2>
 * The cumulation buffer is owned here and released when the connection ends or it empties.
 * <p>
 * <b>Threading:</b> confined to the channel's event loop, including {@link #onSequenced}.
 */
final class IngestConnectionHandler extends ChannelInboundHandlerAdapter implements PublisherSession.Listener
{
    private static final Logger LOG = LoggerFactory.getLogger(IngestConnectionHandler.class);

    /** Longest wait for the sequencer to take the publishes before a connection-level error. */
    private static final long FATAL_ACK_WAIT_MS = 1000;
    private static final int STATE_HANDSHAKE = 0;
    private static final int STATE_OPEN = 1;
    private static final int STATE_CLOSED = 2;
    /** A connection-level error is due; reading has stopped and the publishes already offered are awaited. */
    private static final int STATE_FAILING = 3;

    private static final boolean CONSUMED = true;
    private static final boolean BLOCKED = false;

    private final IngestBackend broker;
    private final BrokerConfig config;
    private final BrokerCounters counters;
    private final TopicRegistry topics;
    private final int maxFrameBytes;
    private final int maxDataBytes;
    private final Runnable retryTask = this::retry;

    private ChannelHandlerContext ctx;
    private ByteBuf cumulation;
    private int state = STATE_HANDSHAKE;
    private int fatalCode;
    private String fatalMessage;
    private boolean blockedOnRing;
    private boolean blockedOnInFlight;
    private boolean blockedOnWrite;
    private boolean stopped;
    private boolean retryScheduled;
    /** Topics this publisher's JWT allows; null when every topic is (no JWT, or a token allowing all). */
    private TopicPatterns publishAllowed;
    /** Finds each frame in the cumulation; reused for every frame. */
    private final LengthPrefixFramer framer = new LengthPrefixFramer();
    /** Locates a PUBLISH body's fields in place; reused for every frame. */
    private final PublishFrameReader frame = new PublishFrameReader();
    private boolean needsFlush;
    private int offeredInPass;
    private long framesCompleted;
    private long framesAtTimerArm;
    private ScheduledFuture<?> handshakeTimeout;
    private ScheduledFuture<?> frameTimeout;
    private PublisherSession session;
    private IngestRing.Producer producer;
    private long readNs;
    private int version;
    private Deduplication.PublisherRecord publisher;
    /** Highest non-zero publisher sequence seen on this connection (version 2). */
    private long lastPublisherSequence;

    IngestConnectionHandler(final IngestBackend broker)
    {
        this.broker = broker;
        this.config = broker.config();
        this.counters = broker.counters();
        this.topics = broker.topics();
        this.maxFrameBytes = config.maxFrameBytes();
        this.maxDataBytes = config.maxDataBytes();
    }

    @Override
    public void handlerAdded(final ChannelHandlerContext ctx)
    {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx)
    {
        counters.increment(Counter.INGEST_CONNECTIONS);
        handshakeTimeout = ctx.executor().schedule(() ->
        {
            if (STATE_HANDSHAKE == state)
            {
                fatal(BAD_HANDSHAKE, "no HELLO within " + config.handshakeTimeoutMs() + " ms");
            }
        }, config.handshakeTimeoutMs(), TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        if (!(msg instanceof ByteBuf) || !isReading())
        {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        // One clock read per socket read: the ingest time of the publishes in it (end-to-end latency metric).
        readNs = System.nanoTime();
        if (null != producer)
        {
            producer.receivedAt(readNs);
        }
        cumulation = null == cumulation ?
            (ByteBuf)msg : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, (ByteBuf)msg);
        process();
    }

    @Override
    public void channelReadComplete(final ChannelHandlerContext ctx)
    {
        flushIfNeeded();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(final ChannelHandlerContext ctx)
    {
        if (blockedOnWrite && ctx.channel().isWritable())
        {
            blockedOnWrite = false;
            resume();
        }
        ctx.fireChannelWritabilityChanged();
    }

    /**
     * Decodes and handles every complete frame in the cumulation, until blocked or out of bytes.
     */
    private void process()
    {
        final LengthPrefixFramer framer = this.framer;
        while (isReading() && null != cumulation)
        {
            final ByteBuf in = cumulation;
            // A HELLO is held to MAX_HELLO_BYTES, whatever the publish limit.
            final int framing = framer.wrap(in, in.readerIndex(), STATE_HANDSHAKE == state ? MAX_HELLO_BYTES : maxFrameBytes);
            if (LengthPrefixFramer.NEED_LENGTH == framing)
            {
                break;
            }
            if (!ctx.channel().isWritable())
            {
                block();
                blockedOnWrite = true;
                break;
            }
            if (STATE_HANDSHAKE == state)
            {
                // Check what the first frame claims to be before trusting its length: bytes from
                // another protocol (an HTTP request, say) are a failed handshake, not a huge frame.
                // A length no HELLO can have fails at once, without waiting for a type byte.
                if (LengthPrefixFramer.BAD_LENGTH == framing ||
                    in.writerIndex() > framer.typeIndex() && TYPE_HELLO != in.getByte(framer.typeIndex()))
                {
                    fatal(BAD_HANDSHAKE, "the first frame must be HELLO (type 0x01) starting with magic 'SSEB', " +
                        "length 1 to " + MAX_HELLO_BYTES);
                    return;
                }
            }
            else if (LengthPrefixFramer.BAD_LENGTH == framing)
            {
                onBadLength(framer.length());
                return;
            }
            if (LengthPrefixFramer.NEED_BODY == framing)
            {
                break;
            }
            // Into locals before the frame is handled: the framer is a field, and nothing that handling sets
            // off (writes, a flush, the callbacks they fire) may move where this frame ends.
            final byte type = in.getByte(framer.typeIndex());
            final int bodyIndex = framer.bodyIndex();
            final int bodyLength = framer.bodyLength();
            final int endIndex = framer.endIndex();
            if (STATE_HANDSHAKE == state)
            {
                if (TYPE_HELLO != type)
                {
                    fatal(BAD_HANDSHAKE, "the first frame must be HELLO (0x01), was type 0x" + Integer.toHexString(type & 0xFF));
                    return;
                }
                if (!onHello(in, bodyIndex, bodyLength))
                {
                    return;
                }
            }
            else if (TYPE_PUBLISH == type)
            {
                if (BLOCKED == onPublish(in, bodyIndex, bodyLength))
                {
                    break;
                }
            }
            else if (TYPE_PING == type)
            {
                if (PING_BODY_BYTES != bodyLength)
                {
                    fatal(BAD_FRAME, "PING body must be 8 bytes, was " + bodyLength);
                    return;
                }
                final ByteBuf pong = ctx.alloc().buffer(HEADER_BYTES + PING_BODY_BYTES);
                BrokerFrameEncoder.writePong(pong, in.getLong(bodyIndex));
                ctx.write(pong, ctx.voidPromise());
                needsFlush = true;
            }
            else if (TYPE_HELLO == type)
            {
                fatal(BAD_FRAME, "HELLO sent twice");
                return;
            }
            else
            {
                fatal(BAD_FRAME, "unknown frame type 0x" + Integer.toHexString(type & 0xFF));
                return;
            }
            if (!isReading())
            {
                return;
            }
            in.readerIndex(endIndex);
            framesCompleted++;
        }
        afterProcess();
    }

    /**
     * After the handshake: a frame length of 0 or above {@code maxFrameBytes}, found before its body arrives.
     */
    private void onBadLength(final long length)
    {
        if (0 == length)
        {
            fatal(BAD_FRAME, "frame length must be at least 1");
        }
        else
        {
            fatal(FRAME_TOO_LARGE, "frame length " + length + " exceeds the maximum of " + maxFrameBytes + " bytes");
        }
    }

    /**
     * One wake-up of the sequencer and one shared-counter update per pass over the input, not per
     * publish.
     */
    private void endPass()
    {
        if (offeredInPass > 0)
        {
            producer.signalConsumer();
            counters.add(Counter.INGEST_PUBLISHES, offeredInPass);
            offeredInPass = 0;
        }
    }

    private void afterProcess()
    {
        endPass();
        final ByteBuf in = cumulation;
        if (null != in)
        {
            if (!in.isReadable())
            {
                cumulation = null;
                in.release();
            }
            else
            {
                in.discardSomeReadBytes();
                armFrameTimeout();
            }
        }
        if (!isBlocked() && !stopped && isReading())
        {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /**
     * Checks, in this order: magic, version, field lengths against the frame, name length,
     * publisher id (version 2), token; the first failure is the one answered.
     */
    private boolean onHello(final ByteBuf in, final int index, final int length)
    {
        final HelloFrameReader hello = new HelloFrameReader();
        switch (hello.wrap(in, index, length))
        {
            case HelloFrameReader.OK:
                break;
            case HelloFrameReader.BAD_MAGIC:
                fatal(BAD_HANDSHAKE, "HELLO must start with magic 0x53534542 ('SSEB')");
                return false;
            case HelloFrameReader.UNKNOWN_VERSION:
                fatal(UNSUPPORTED_VERSION, "protocol version " + hello.version() + " is not supported; supported versions: 1, 2");
                return false;
            case HelloFrameReader.TOKEN_PAST_FRAME:
                fatal(BAD_HANDSHAKE, "HELLO token length " + hello.tokenLength() + " exceeds the frame");
                return false;
            default:
                fatal(BAD_HANDSHAKE, "HELLO field lengths do not add up to the frame length");
                return false;
        }
        final int version = hello.version();
        final int tokenLength = hello.tokenLength();
        final int nameLength = hello.nameLength();
        final int publisherIdIndex = hello.publisherIdIndex();
        final int publisherIdLength = hello.publisherIdLength();
        if (nameLength > MAX_NAME_BYTES)
        {
            fatal(BAD_HANDSHAKE, "HELLO name of " + nameLength + " bytes exceeds " + MAX_NAME_BYTES);
            return false;
        }
        if (publisherIdLength > MAX_PUBLISHER_ID_BYTES ||
            publisherIdLength > 0 && !TopicNames.isValid(in, publisherIdIndex, publisherIdLength))
        {
            fatal(BAD_HANDSHAKE, "publisher id must be 1 to " + MAX_PUBLISHER_ID_BYTES +
                " bytes of A-Z a-z 0-9 . _ - : ~ @, or empty");
            return false;
        }
        if (!authenticate(in.toString(hello.tokenIndex(), tokenLength, StandardCharsets.UTF_8)))
        {
            return false;
        }
        if (publisherIdLength > 0)
        {
            publisher = broker.dedup().attach(in.toString(publisherIdIndex, publisherIdLength, StandardCharsets.US_ASCII));
            if (null == publisher)
            {
                fatal(BAD_HANDSHAKE, "too many publisher ids; try again after " + config.dedupWindowMs() + " ms");
                return false;
            }
        }
        session = broker.sessions().register(config.maxInFlight(), ctx.channel().eventLoop(), this);
        if (null == session)
        {
            fatal(BAD_HANDSHAKE, "too many publisher connections");
            return false;
        }
        producer = broker.ingestRing().newProducer();
        producer.receivedAt(readNs);
        this.version = version;
        state = STATE_OPEN;
        cancel(handshakeTimeout);
        handshakeTimeout = null;

        final ByteBuf welcome = ctx.alloc().buffer(BrokerFrameEncoder.welcomeFrameBytes(version));
        BrokerFrameEncoder.writeWelcome(welcome, version, maxFrameBytes, maxDataBytes, config.maxInFlight(), broker.epochId(),
            null == publisher ? 0 : publisher.highestSequence(), config.dedupWindowEvents(), config.dedupWindowMs());
        ctx.write(welcome, ctx.voidPromise());
        needsFlush = true;
        return true;
    }

    /**
     * @return {@link #CONSUMED} when the frame was handled (taken or rejected), {@link #BLOCKED}
     *         when it must stay in the buffer until back pressure eases.
     */
    private boolean onPublish(final ByteBuf in, final int index, final int length)
    {
        if (stopped)
        {
            return BLOCKED;
        }
        final PublisherSession session = this.session;
        if (session.isFull())
        {
            blockedOnInFlight = true;
            block();
            return BLOCKED;
        }
        final PublishFrameReader frame = this.frame;
        switch (frame.wrap(in, index, length, VERSION_2 == version))
        {
            case PublishFrameReader.OK:
                break;
            case PublishFrameReader.BODY_TOO_SHORT:
                fatal(BAD_FRAME, "PUBLISH body of " + length + " bytes is too short");
                return CONSUMED;
            case PublishFrameReader.TOPIC_PAST_FRAME:
                fatal(BAD_FRAME, "PUBLISH topic length " + frame.topicLength() + " exceeds the frame");
                return CONSUMED;
            case PublishFrameReader.EVENT_PAST_FRAME:
                fatal(BAD_FRAME, "PUBLISH event length " + frame.eventLength() + " exceeds the frame");
                return CONSUMED;
            default:
                fatal(BAD_FRAME, "PUBLISH data length " + frame.dataLength() + " does not match the frame");
                return CONSUMED;
        }
        // Then, for this frame alone and in this order: the publisher sequence, the topic's rules, the token's
        // topics, the event name and the data (PublishRules), the topic limit.
        final long publisherSequence = frame.publisherSequence();
        final int topicIndex = frame.topicIndex();
        final int topicLength = frame.topicLength();
        if (0 != publisherSequence)
        {
            if (null == publisher)
            {
                return reject(INVALID_SEQUENCE, "a publisher sequence needs a publisher id in HELLO");
            }
            if (publisherSequence < 0 || publisherSequence <= lastPublisherSequence)
            {
                return reject(INVALID_SEQUENCE, "publisher sequence " + Long.toUnsignedString(publisherSequence) +
                    " must be above the previous one on this connection, " + lastPublisherSequence);
            }
            lastPublisherSequence = publisherSequence;
        }
        final int topicRule = PublishRules.checkTopic(in, frame);
        if (PublishRules.PASS != topicRule)
        {
            return reject(PublishRules.code(topicRule), PublishRules.message(topicRule, frame, maxDataBytes));
        }
        if (null != publishAllowed && !publishAllowed.allows(in, topicIndex, topicLength))
        {
            counters.increment(Counter.INGEST_FORBIDDEN_TOPIC);
            return reject(INVALID_TOPIC, "the token does not allow publishing to this topic");
        }
        final int dataRule = PublishRules.checkEventAndData(in, frame, maxDataBytes);
        if (PublishRules.PASS != dataRule)
        {
            return reject(PublishRules.code(dataRule), PublishRules.message(dataRule, frame, maxDataBytes));
        }
        final int eventIndex = frame.eventIndex();
        final int eventLength = frame.eventLength();
        final int dataIndex = frame.dataIndex();
        final long dataLength = frame.dataLength();
        final int topic = topics.lookupOrCreate(in, topicIndex, topicLength);
        if (TopicRegistry.TOO_MANY_TOPICS == topic)
        {
            return reject(INVALID_TOPIC, "topic limit reached");
        }

        final long sequence = session.peekSequence();
        session.markPending(sequence);
        final int publisherRef = 0 == publisherSequence ? Deduplication.NO_PUBLISHER : publisher.ref();
        if (!producer.offer(session.id(), sequence, topic, publisherRef, publisherSequence, in, 0, 0,
            eventIndex, eventLength, dataIndex, (int)dataLength))
        {
            if (!blockedOnRing)
            {
                counters.increment(Counter.INGEST_BACK_PRESSURE);
            }
            blockedOnRing = true;
            block();
            scheduleRetry();
            return BLOCKED;
        }
        session.nextSequence();
        blockedOnRing = false;
        offeredInPass++;
        return CONSUMED;
    }

    /**
     * The HELLO token: the static {@code ingest-token} (compared in constant time), or, with JWT authentication
     * on, a JWT whose {@code sse.publish} claim limits the topics of this connection.
     *
     * @return false when refused (the connection is being closed with AUTH_FAILED).
     */
    private boolean authenticate(final String token)
    {
        final String requiredToken = config.ingestToken();
        final Authenticator authenticator = broker.authenticator();
        if (null == requiredToken && !authenticator.enabled())
        {
            return true;
        }
        if (null != requiredToken && MessageDigest.isEqual(
            requiredToken.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8)))
        {
            return true;
        }
        if (!authenticator.enabled())
        {
            counters.increment(Counter.INGEST_AUTH_FAILED);
            fatal(AUTH_FAILED, "token rejected");
            return false;
        }
        try
        {
            final TopicPatterns allowed = authenticator.authenticate(token).publish();
            publishAllowed = allowed.allowsAll() ? null : allowed;
            return true;
        }
        catch (final AuthenticationException ex)
        {
            counters.increment(Counter.INGEST_AUTH_FAILED);
            fatal(AUTH_FAILED, ex.getMessage());
            return false;
        }
    }

    private boolean reject(final int code, final String message)
    {
        counters.increment(Counter.INGEST_REJECTED);
        final long sequence = session.nextSequence();
        session.markRejected(sequence);
        writeError(sequence, code, message);
        advanceOverRejected();
        return CONSUMED;
    }

    @Override
    public void onSequenced(final PublisherSession session)
    {
        if (session != this.session || STATE_CLOSED == state)
        {
            return;
        }
        writeAcks();
        if (STATE_FAILING == state)
        {
            if (allAnswered())
            {
                sendFatalError();
            }
            else
            {
                flushIfNeeded();
            }
            return;
        }
        flushIfNeeded();
        if (blockedOnInFlight && !session.isFull())
        {
            blockedOnInFlight = false;
            resume();
        }
    }

    private void writeAcks()
    {
        final PublisherSession session = this.session;
        final long sequenced = session.sequenced();
        long acknowledged = session.acknowledged();
        if (sequenced > acknowledged)
        {
            ByteBuf out = null;
            long runSequence = 0;
            long runId = 0;
            int runCount = 0;
            for (long s = acknowledged + 1; s <= sequenced; s++)
            {
                final long id = session.assignedId(s);
                if (PublisherSession.TAKEN_EARLIER == id || PublisherSession.UNAVAILABLE == id)
                {
                    // Answered in its place among the acks: end the run before it, then the error.
                    if (runCount > 0)
                    {
                        out = writeAck(out, runSequence, runCount, runId);
                        runCount = 0;
                    }
                    if (null != out)
                    {
                        ctx.write(out, ctx.voidPromise());
                        out = null;
                    }
                    if (PublisherSession.UNAVAILABLE == id)
                    {
                        writeError(s, UNAVAILABLE, "the cluster's stream did not acknowledge in time; it may have " +
                            "been stored: resend with the same publisher sequence or key");
                    }
                    else
                    {
                        writeError(s, SEQUENCE_TAKEN, "publisher sequence taken earlier; its id is older than the " +
                            "deduplication window; not taken again");
                    }
                    continue;
                }
                if (id < 0)
                {
                    continue;
                }
                if (runCount > 0 && s == runSequence + runCount && id == runId + runCount)
                {
                    runCount++;
                    continue;
                }
                if (runCount > 0)
                {
                    out = writeAck(out, runSequence, runCount, runId);
                }
                runSequence = s;
                runId = id;
                runCount = 1;
            }
            if (runCount > 0)
            {
                out = writeAck(out, runSequence, runCount, runId);
            }
            session.acknowledged(sequenced);
            if (null != out)
            {
                ctx.write(out, ctx.voidPromise());
                needsFlush = true;
            }
        }
        advanceOverRejected();
    }

    private ByteBuf writeAck(final ByteBuf out, final long firstSequence, final int count, final long firstId)
    {
        broker.ingestMetrics().acked(count);
        final ByteBuf buf = null == out ? ctx.alloc().buffer((HEADER_BYTES + ACK_BODY_BYTES) * 4) : out;
        BrokerFrameEncoder.writeAck(buf, firstSequence, count, firstId);
        return buf;
    }

    /**
     * Rejected publishes are answered at once; once every earlier publish is acknowledged, their
     * slots are free again.
     */
    private void advanceOverRejected()
    {
        final PublisherSession session = this.session;
        long acknowledged = session.acknowledged();
        final long last = session.peekSequence() - 1;
        while (acknowledged < last && PublisherSession.REJECTED == session.assignedId(acknowledged + 1))
        {
            acknowledged++;
        }
        session.acknowledged(acknowledged);
    }

    private void writeError(final long sequence, final int code, final String message)
    {
        broker.ingestMetrics().error(code);
        final byte[] text = message.getBytes(StandardCharsets.UTF_8);
        final ByteBuf buf = ctx.alloc().buffer(BrokerFrameEncoder.errorFrameBytes(text));
        BrokerFrameEncoder.writeError(buf, sequence, code, text);
        ctx.write(buf, ctx.voidPromise());
        needsFlush = true;
    }

    /**
     * Ends the connection for a connection-level error: stops reading, acknowledges every publish
     * already offered to the ring (waiting for the sequencer when some are still on their way: they
     * will reach subscribers, so the publisher must not resend them), then sends the {@code ERROR}
     * with sequence 0 and closes.
     */
    private void fatal(final int code, final String message)
    {
        if (!isReading())
        {
            return;
        }
        endPass();
        counters.increment(Counter.INGEST_PROTOCOL_ERRORS);
        ctx.channel().config().setAutoRead(false);
        fatalCode = code;
        fatalMessage = message;
        if (STATE_OPEN == state)
        {
            writeAcks();
            if (!allAnswered())
            {
                state = STATE_FAILING;
                flushIfNeeded();
                // The sequencer answers within microseconds; this only bounds a stalled broker.
                ctx.executor().schedule(() ->
                {
                    if (STATE_FAILING == state)
                    {
                        sendFatalError();
                    }
                }, FATAL_ACK_WAIT_MS, TimeUnit.MILLISECONDS);
                return;
            }
        }
        sendFatalError();
    }

    /**
     * @return true when every numbered publish has its answer written ({@link #writeAcks} just ran):
     *         an ACK, or its ERROR for a rejected one.
     */
    private boolean allAnswered()
    {
        // The loop's own count of what it answered, not the sequencer's progress: that may have moved
        // on since writeAcks() read it, and an ERROR sent on that basis left the publishes it moved
        // over taken but never acknowledged. Nor does the sequencer count a rejected publish, so
        // after one it never reached the last number, and the error waited for the timer.
        return session.isIdle();
    }

    private void sendFatalError()
    {
        state = STATE_CLOSED;
        writeError(0, fatalCode, fatalMessage);
        needsFlush = false;
        // Close once the error is out; a peer that does not read gets a bounded time to take it.
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        ctx.executor().schedule(() -> ctx.close(), 5, TimeUnit.SECONDS);
        releaseResources();
    }

    /**
     * @return true while frames are read and handled: before and after the handshake, not once a
     *         connection-level error or the end is due.
     */
    private boolean isReading()
    {
        return STATE_HANDSHAKE == state || STATE_OPEN == state;
    }

    private void block()
    {
        ctx.channel().config().setAutoRead(false);
    }

    private boolean isBlocked()
    {
        return blockedOnRing || blockedOnInFlight || blockedOnWrite;
    }

    private void resume()
    {
        if (!isReading())
        {
            return;
        }
        process();
        flushIfNeeded();
    }

    private void scheduleRetry()
    {
        if (!retryScheduled)
        {
            retryScheduled = true;
            ctx.executor().schedule(retryTask, 50, TimeUnit.MICROSECONDS);
        }
    }

    private void retry()
    {
        retryScheduled = false;
        if (blockedOnRing && isReading())
        {
            blockedOnRing = false;
            resume();
        }
    }

    private void armFrameTimeout()
    {
        if (null == frameTimeout)
        {
            framesAtTimerArm = framesCompleted;
            frameTimeout = ctx.executor().schedule(this::onFrameTimeout, config.frameTimeoutMs(), TimeUnit.MILLISECONDS);
        }
    }

    private void onFrameTimeout()
    {
        frameTimeout = null;
        if (!isReading() || null == cumulation || !cumulation.isReadable())
        {
            return;
        }
        if (framesCompleted == framesAtTimerArm && !isBlocked() && !stopped)
        {
            fatal(FRAME_TIMEOUT, "frame not completed within " + config.frameTimeoutMs() + " ms");
        }
        else
        {
            armFrameTimeout();
        }
    }

    private void flushIfNeeded()
    {
        if (needsFlush)
        {
            needsFlush = false;
            ctx.flush();
        }
    }

    @Override
    public void userEventTriggered(final ChannelHandlerContext ctx, final Object evt)
    {
        if (BrokerEvent.STOP_READING == evt)
        {
            stopped = true;
            ctx.channel().config().setAutoRead(false);
        }
        else if (BrokerEvent.SHUTDOWN == evt)
        {
            if (STATE_FAILING == state)
            {
                // Its error goes first: whatever the sequencer took by now is acknowledged with it.
                writeAcks();
                sendFatalError();
            }
            else if (STATE_CLOSED != state)
            {
                if (STATE_OPEN == state)
                {
                    writeAcks();
                }
                state = STATE_CLOSED;
                writeError(0, SHUTTING_DOWN, "broker is shutting down; publishes after the last ACK were not taken");
                needsFlush = false;
                releaseResources();
                // Half-close after the final frames and keep reading (and discarding) until the peer
                // closes: closing a socket with unread input sends a reset, which on some stacks
                // discards the acknowledgements the publisher has not read yet.
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(future ->
                {
                    if (ctx.channel() instanceof io.netty.channel.socket.DuplexChannel)
                    {
                        ((io.netty.channel.socket.DuplexChannel)ctx.channel()).shutdownOutput();
                    }
                    ctx.channel().config().setAutoRead(true);
                    ctx.executor().schedule(() -> ctx.close(), 2, TimeUnit.SECONDS);
                });
            }
        }
        else
        {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx)
    {
        state = STATE_CLOSED;
        releaseResources();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(final ChannelHandlerContext ctx)
    {
        releaseResources();
    }

    private void releaseResources()
    {
        cancel(handshakeTimeout);
        handshakeTimeout = null;
        cancel(frameTimeout);
        frameTimeout = null;
        if (null != cumulation)
        {
            cumulation.release();
            cumulation = null;
        }
        if (null != session)
        {
            broker.sessions().unregister(session);
        }
        if (null != publisher)
        {
            broker.dedup().detach(publisher);
            publisher = null;
        }
    }

    private static void cancel(final ScheduledFuture<?> future)
    {
        if (null != future)
        {
            future.cancel(false);
        }
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        ConnectionErrors.onException(counters, LOG, "ingest connection", ctx, cause);
        state = STATE_CLOSED;
        releaseResources();
        ctx.close();
    }
}

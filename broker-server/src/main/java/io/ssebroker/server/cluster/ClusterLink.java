package io.ssebroker.server.cluster;

import io.nats.client.ConsumeOptions;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Consumer;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamSubscription;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.MessageConsumer;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.StreamContext;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.ssebroker.log.LogInput;
import io.ssebroker.server.config.BrokerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A node's link to the cluster's shared log: one NATS connection, the JetStream stream holding every topic (subject
 * {@code NAME.<topic>}), and the ordered consumer feeding this node's log.
 * <p>
 * <b>Ids.</b> An event's id is {@code epochBase + stream sequence}, where {@code epochBase} is the stream's creation
 * time in microseconds: the same on every node, increasing across topics, and, since a recreated stream has a later
 * creation time, an id from a deleted stream is below every id of its successor ({@code unknown-epoch}). The ids keep
 * the single-node broker's shape (clock in microseconds) and stay below 2^53 for JavaScript.
 * <p>
 * <b>Threading:</b> {@link #connect} and {@link #close} from the thread starting and stopping the broker; the
 * accessors from any thread.
 */
public final class ClusterLink implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ClusterLink.class);
    /** The client's reports through our logging; a consumer's missed heartbeats are the sign of a stalled pull. */
    private static final ErrorListener ERRORS = new ErrorListener()
    {
        @Override
        public void errorOccurred(final Connection connection, final String error)
        {
            LOG.warn("NATS server error: {}", error);
        }

        @Override
        public void exceptionOccurred(final Connection connection, final Exception exception)
        {
            LOG.warn("NATS client exception: {}", exception.toString());
        }

        @Override
        public void slowConsumerDetected(final Connection connection, final Consumer consumer)
        {
            LOG.warn("NATS slow consumer detected: the client could not keep up with what the server sent");
        }

        @Override
        public void heartbeatAlarm(
            final Connection connection, final JetStreamSubscription subscription, final long lastStreamSequence,
            final long lastConsumerSequence)
        {
            LOG.warn("stream consumer missed its heartbeats after stream sequence {}", lastStreamSequence);
        }
    };
    /**
     * Pulls of up to 8,192 messages or 8 MiB, expiring after 5 s so a silently dead pull is noticed by its heartbeat
     * within seconds. With jnats' default 500 the consumer starves while publishes flow: bench/JetStreamCeiling.java,
     * 100-byte messages published as fast as acknowledged, consumed 10,100 msgs/s with pulls of 500, 34,600 with
     * 2,048, 58,000-68,500 with 4,096-8,192 (2 vCPU; docs/scale-out.md).
     */
    private static final ConsumeOptions CONSUME_OPTIONS = ConsumeOptions.builder()
        .batchSize(8192)
        .batchBytes(8L << 20)
        .expiresIn(5_000)
        .build();
    /** How often the consumer's progress is checked against the stream. */
    private static final long PROGRESS_CHECK_MS = 1_000;
    /** Checks in a row with the stream ahead and nothing applied before the consumer is started again. */
    private static final int STALLED_CHECKS = 2;
    /**
     * How long a chunk read back for one resume serves the other resumes from the same point. Subscribers of a lost
     * node reconnect over their retry delays (the preamble's {@code retry} plus the clients' jitter: seconds).
     */
    static final long SHARE_REPLAY_MS = 5_000;
    /** Bytes of chunks kept for sharing at most: a chunk is up to 1,000 events of each of its topics. */
    static final long SHARE_REPLAY_MAX_BYTES = 64L << 20;

    private final BrokerConfig config;
    private final Connection connection;
    private final String streamName;
    private final String nodeName;
    private final long epochBase;
    private final long startSequence;
    private final long lastSequenceAtStart;
    private volatile JetStreamInput input;
    private volatile MessageConsumer consumer;
    private io.ssebroker.fanout.SharedDeepHistory history;
    private volatile boolean stopped;
    /** Restarts the consumer off the NATS threads, one at a time, and runs the progress check. */
    private final java.util.concurrent.ScheduledExecutorService restarts =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(runnable ->
        {
            final Thread thread = new Thread(runnable, "cluster-consumer-restart");
            thread.setDaemon(true);
            return thread;
        });
    /** Progress check state (on the restart thread): the applied sequence at the last check, and checks since. */
    private long appliedAtLastCheck = -1;
    private int checksWithoutProgress;
    private volatile boolean streamGone;
    private volatile String replacedReason;
    private volatile java.util.function.Consumer<String> onReplaced;

    private ClusterLink(
        final BrokerConfig config,
        final Connection connection,
        final StreamInfo stream)
    {
        this.config = config;
        this.connection = connection;
        this.streamName = config.natsStream();
        this.nodeName = UUID.randomUUID().toString();
        this.epochBase = TimeUnit.MILLISECONDS.toMicros(stream.getCreateTime().toInstant().toEpochMilli());
        final long first = Math.max(1, stream.getStreamState().getFirstSequence());
        this.lastSequenceAtStart = stream.getStreamState().getLastSequence();
        this.startSequence = Math.max(first, lastSequenceAtStart - config.natsWarmEvents() + 1);
    }

    /**
     * Connects, and creates the stream when it does not exist yet (with this node's retention settings).
     *
     * @throws IllegalStateException naming the URL when the server cannot be reached or has no JetStream.
     */
    public static ClusterLink connect(final BrokerConfig config)
    {
        final AtomicReference<ClusterLink> created = new AtomicReference<>();
        final Options options = new Options.Builder()
            .servers(config.natsUrl().split(","))
            .connectionName("sse-broker")
            .maxReconnects(-1)
            .reconnectWait(Duration.ofMillis(250))
            .connectionTimeout(Duration.ofSeconds(5))
            // The listener is given before the link exists; events before then (the first connect) need none.
            .connectionListener((connection, event) ->
            {
                final ClusterLink link = created.get();
                if (null != link)
                {
                    link.onConnectionEvent(event);
                }
            })
            .errorListener(ERRORS)
            .build();
        Connection connection = null;
        try
        {
            connection = Nats.connect(options);
            final StreamInfo stream = ensureStream(connection.jetStreamManagement(), config);
            final ClusterLink link = new ClusterLink(config, connection, stream);
            created.set(link);
            return link;
        }
        catch (final IOException | JetStreamApiException ex)
        {
            closeQuietly(connection);
            throw new IllegalStateException("nats-url " + config.natsUrl() + ": cannot reach JetStream (" +
                ex.getMessage() + ")", ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            closeQuietly(connection);
            throw new IllegalStateException("interrupted while connecting to " + config.natsUrl(), ex);
        }
    }

    private static StreamInfo ensureStream(final JetStreamManagement management, final BrokerConfig config)
        throws IOException, JetStreamApiException
    {
        try
        {
            return management.getStreamInfo(config.natsStream());
        }
        catch (final JetStreamApiException ex)
        {
            if (404 != ex.getErrorCode())
            {
                throw ex;
            }
        }
        final StreamConfiguration stream = StreamConfiguration.builder()
            .name(config.natsStream())
            .subjects(config.natsStream() + ".>")
            .storageType(StorageType.File)
            .replicas((int)config.natsReplicas())
            .maxAge(Duration.ofMillis(config.natsMaxAgeMs()))
            .maxMessages(config.natsMaxEvents())
            .maxBytes(config.natsMaxBytes())
            .duplicateWindow(Duration.ofMillis(Math.min(config.dedupWindowMs(), config.natsMaxAgeMs())))
            .allowDirect(true)
            .build();
        try
        {
            final StreamInfo created = management.addStream(stream);
            LOG.info("created JetStream stream {} (subjects {}.>)", config.natsStream(), config.natsStream());
            return created;
        }
        catch (final JetStreamApiException ex)
        {
            // Another node created it first.
            return management.getStreamInfo(config.natsStream());
        }
    }

    private void onConnectionEvent(final ConnectionListener.Events event)
    {
        if (ConnectionListener.Events.DISCONNECTED == event)
        {
            LOG.warn("NATS connection lost; publishers are held back until it returns");
        }
        else if (ConnectionListener.Events.RECONNECTED == event)
        {
            LOG.info("NATS connection back ({}); consuming again from sequence {}", connection.getConnectedUrl(),
                null == input ? startSequence : input.nextSequenceToConsume());
            // The ordered consumer notices a lost server only by its idle heartbeat, many seconds later: start it
            // again now, from the sequence after the last one this node took (the input drops any repeat).
            restarts.execute(this::restartConsumer);
        }
    }

    /**
     * @return the engine's input over this link. The engine builds it once.
     */
    public LogInput.Factory inputFactory()
    {
        return (ring, writer, topics, sessions, dedup, metrics) ->
        {
            try
            {
                final JetStreamInput built = new JetStreamInput(ring, writer, topics, sessions, dedup, metrics,
                    connection.jetStream(), streamName, nodeName, epochBase, startSequence, lastSequenceAtStart,
                    config.sequencerBatch(), config.natsMaxPending(), config.natsPublishTimeoutMs());
                input = built;
                return built;
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException("JetStream context for " + config.natsUrl(), ex);
            }
        };
    }

    /**
     * Starts the ordered consumer at this node's first sequence: it replays the warm-up events, then follows the
     * stream. It recreates itself after a reconnect, from the last sequence it delivered.
     */
    public void startConsuming()
    {
        consumeFrom(startSequence);
        restarts.scheduleWithFixedDelay(this::checkProgress, PROGRESS_CHECK_MS, PROGRESS_CHECK_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Once a second: notices the stream gone or replaced (deleted and created again), and starts the consumer again
     * when it has stopped delivering although the stream holds more. A node that was frozen
     * (a long pause, a stopped process) comes back with its pull expired at the server, and the client library notices
     * only by missed heartbeats, many seconds later; a node that is merely idle, or whose log writer is behind (the
     * inbox not empty), is left alone.
     */
    private void checkProgress()
    {
        final JetStreamInput target = input;
        if (stopped || null == target || !connected())
        {
            return;
        }
        final StreamInfo info;
        try
        {
            info = connection.jetStreamManagement().getStreamInfo(streamName);
        }
        catch (final JetStreamApiException ex)
        {
            if (404 == ex.getErrorCode() && !streamGone)
            {
                streamGone = true;
                LOG.error("stream {} is gone: publishes wait, then get UNAVAILABLE; this node is not ready", streamName);
            }
            return;
        }
        catch (final IOException ex)
        {
            LOG.debug("progress check: stream info", ex);
            return;
        }
        if (TimeUnit.MILLISECONDS.toMicros(info.getCreateTime().toInstant().toEpochMilli()) != epochBase)
        {
            onStreamReplaced();
            return;
        }
        if (streamGone)
        {
            streamGone = false;
            LOG.info("stream {} is back", streamName);
        }
        final long applied = target.appliedSequence();
        if (applied != appliedAtLastCheck || !target.inboxEmpty())
        {
            appliedAtLastCheck = applied;
            checksWithoutProgress = 0;
            return;
        }
        final io.nats.client.api.StreamState state = info.getStreamState();
        if (state.getLastSequence() <= applied || 0 == state.getMsgCount())
        {
            checksWithoutProgress = 0;
        }
        else if (++checksWithoutProgress >= STALLED_CHECKS)
        {
            checksWithoutProgress = 0;
            LOG.warn("stream consumer stalled at sequence {} with the stream at {}: consuming again from there",
                applied, state.getLastSequence());
            restartConsumer();
        }
    }

    /**
     * The stream was deleted and created again: its sequences, hence ids, start over in a new epoch, which this
     * node's log cannot take (its ids only increase). It stops consuming, so nothing of the new stream is applied
     * with the old epoch, stops being ready, and reports it: {@code serve} then exits so that it starts again in the
     * new epoch, where old ids get {@code unknown-epoch}.
     */
    private void onStreamReplaced()
    {
        if (null != replacedReason)
        {
            return;
        }
        replacedReason = "stream " + streamName + " was deleted and created again: this node joined the one created " +
            "at epoch " + epochBase + "; restart it to join the new one";
        LOG.error(replacedReason);
        stopConsuming();
        final java.util.function.Consumer<String> listener = onReplaced;
        if (null != listener)
        {
            listener.accept(replacedReason);
        }
    }

    /**
     * @param listener told, once, on the progress-check thread, when the stream was replaced under this node.
     */
    public void onStreamReplaced(final java.util.function.Consumer<String> listener)
    {
        this.onReplaced = listener;
        final String reason = replacedReason;
        if (null != reason)
        {
            listener.accept(reason);
        }
    }

    /** @return false while the stream is gone or after it was replaced under this node. */
    public boolean streamIntact()
    {
        return !streamGone && null == replacedReason;
    }

    private synchronized void consumeFrom(final long sequence)
    {
        if (stopped)
        {
            return;
        }
        final JetStreamInput target = input;
        try
        {
            final StreamContext stream = connection.getStreamContext(streamName);
            final OrderedConsumerConfiguration ordered = new OrderedConsumerConfiguration()
                .filterSubject(streamName + ".>")
                .deliverPolicy(DeliverPolicy.ByStartSequence)
                .startSequence(sequence);
            consumer = stream.createOrderedConsumer(ordered).consume(CONSUME_OPTIONS, target::onConsumed);
        }
        catch (final IOException | JetStreamApiException ex)
        {
            throw new IllegalStateException("cannot consume stream " + streamName + " at " + config.natsUrl(), ex);
        }
    }

    private synchronized void restartConsumer()
    {
        if (stopped)
        {
            return;
        }
        closeConsumer();
        try
        {
            consumeFrom(input.nextSequenceToConsume());
        }
        catch (final RuntimeException ex)
        {
            // Connection gone again: the next RECONNECTED, or the progress check, tries again.
            LOG.warn("could not consume the stream again: {}", ex.getMessage());
        }
    }

    /**
     * @return the stream read back for resumes from below this node's history, one read shared by the resumes from
     *         the same point within {@link #SHARE_REPLAY_MS}; the link closes it.
     */
    public synchronized io.ssebroker.fanout.DeepHistory history(
        final io.netty.buffer.ByteBufAllocator alloc,
        final io.ssebroker.metrics.MetricsRegistry metrics)
    {
        if (null == history)
        {
            history = new io.ssebroker.fanout.SharedDeepHistory(
                new StreamHistory(connection, streamName, epochBase, alloc, config.maxDataBytes()), System::nanoTime,
                TimeUnit.MILLISECONDS.toNanos(SHARE_REPLAY_MS), SHARE_REPLAY_MAX_BYTES,
                metrics.counter("deep_replay_shared_loads", io.ssebroker.metrics.MetricsRegistry.Kind.COUNTER));
        }
        return history;
    }

    /**
     * @return this node's name in the cluster (a UUID drawn at start), in its message ids and its stats topic.
     */
    public String nodeName()
    {
        return nodeName;
    }

    /**
     * @return true once this node has applied everything the stream held when it started.
     */
    public boolean caughtUp()
    {
        final JetStreamInput target = input;
        return null != target && target.appliedSequence() >= lastSequenceAtStart;
    }

    /** @return true while the NATS connection is up. */
    public boolean connected()
    {
        return Connection.Status.CONNECTED == connection.getStatus();
    }

    /** @return the first id this node's log can hold. */
    public long epochId()
    {
        return epochBase + 1;
    }

    public String streamName()
    {
        return streamName;
    }

    public long startSequence()
    {
        return startSequence;
    }

    /** Stops consuming. The engine's input still drains its publishes afterwards; {@link #close} ends the link. */
    public synchronized void stopConsuming()
    {
        stopped = true;
        closeConsumer();
    }

    private void closeConsumer()
    {
        final MessageConsumer current = consumer;
        consumer = null;
        if (null != current)
        {
            try
            {
                current.stop();
                current.close();
            }
            catch (final Exception ex)
            {
                LOG.debug("closing the consumer", ex);
            }
        }
    }

    @Override
    public void close()
    {
        stopConsuming();
        restarts.shutdownNow();
        synchronized (this)
        {
            if (null != history)
            {
                history.close();
            }
        }
        closeQuietly(connection);
    }

    private static void closeQuietly(final Connection connection)
    {
        if (null != connection)
        {
            try
            {
                connection.close();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }
}

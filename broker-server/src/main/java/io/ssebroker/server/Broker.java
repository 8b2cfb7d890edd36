package io.ssebroker.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.ssebroker.engine.BrokerEngine;
import io.ssebroker.fanout.EvictionReason;
import io.ssebroker.metrics.Counter;
import io.ssebroker.metrics.MetricsRegistry;
import io.ssebroker.fanout.FanOutStats;
import io.ssebroker.server.metrics.DeliveryMetrics;
import io.ssebroker.server.metrics.HistoryMetrics;
import io.ssebroker.server.metrics.HttpMetrics;
import io.ssebroker.server.metrics.IngestMetrics;
import io.ssebroker.server.metrics.PrometheusExposition;
import io.ssebroker.fanout.LoopFanOut;
import io.ssebroker.ingest.Deduplication;
import io.ssebroker.ingest.IngestRing;
import io.ssebroker.ingest.PublisherSessions;
import io.ssebroker.log.LogWriter;
import io.ssebroker.log.TopicRegistry;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.server.auth.Authenticator;
import io.ssebroker.server.auth.JwtKeyFiles;
import io.ssebroker.server.cluster.ClusterLink;
import io.ssebroker.server.dashboard.StatsFeed;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.edge.BrokerEvent;
import io.ssebroker.server.edge.ConnectionLimits;
import io.ssebroker.server.edge.HttpBackend;
import io.ssebroker.server.edge.IngestBackend;
import io.ssebroker.server.edge.StatsBackend;
import io.ssebroker.server.http.HttpServerInitializer;
import io.ssebroker.server.http.TlsServerInitializer;
import io.ssebroker.server.tls.ServerTls;
import io.ssebroker.server.tls.TlsContexts;
import io.ssebroker.server.ingest.IngestServerInitializer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A running single-node broker: the engine (ingest ring, sequencer, event log) wired to Netty event
 * loops that serve HTTP/1.1 subscribers and publishers and TCP ingest connections.
 *
 * <pre>
 *   accept loop ──► worker loops (N) ── HTTP, ingest ──► IngestRing ──► sequencer thread
 *                        ▲                                                   │
 *                        └──────── LoopFanOut (one per worker) ◄── EventLog ◄┘
 * </pre>
 *
 * <h2>Shutdown</h2>
 * {@link #close()} stops accepting, stops reading publishers, lets the sequencer take everything
 * already in the ring, acknowledges it, ends every stream with the terminating chunk so clients
 * reconnect elsewhere, and releases all buffers, within {@code shutdown.timeoutMs}. With
 * {@code drainMs} above 0 it first ends the streams a few at a time over that long (new streams
 * refused, publishers still served), so their reconnects reach the other nodes spread out.
 * <p>
 * <b>Threading:</b> {@link #start} and {@link #close} from any one thread; accessors from any thread.
 */
public final class Broker implements AutoCloseable, HttpBackend, IngestBackend, StatsBackend
{
    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);

    private final BrokerConfig config;
    private final MetricsRegistry metrics = new MetricsRegistry();
    private final BrokerCounters counters = new BrokerCounters(metrics);
    private final PrometheusExposition exposition;
    private final HttpMetrics httpMetrics = new HttpMetrics(metrics);
    private final IngestMetrics ingestMetrics = new IngestMetrics(metrics);
    /** How often the broker publishes its numbers to {@link StatsFeed#TOPIC}. */
    private static final long STATS_INTERVAL_MS = 1000;

    private final ByteBufAllocator alloc;
    private final Transport transport;
    private final EventLoopGroup acceptGroup;
    private final EventLoopGroup workerGroup;
    private final Class<? extends ServerChannel> serverChannelClass;
    private final BrokerEngine engine;
    private final ConnectionLimits connectionLimits;
    private final Map<EventExecutor, LoopFanOut> fanOuts = new IdentityHashMap<>();
    private final ChannelGroup ingestChannels = new DefaultChannelGroup("ingest", GlobalEventExecutor.INSTANCE);
    private final ChannelGroup httpChannels = new DefaultChannelGroup("http", GlobalEventExecutor.INSTANCE);
    private final AtomicBoolean closing = new AtomicBoolean();
    private Channel httpServer;
    private Channel ingestServer;
    private Channel tlsServer;
    private ServerTls tls;
    /** The JWT keys, read again when their files change. */
    private final JwtKeyFiles jwtKeys;
    private final DeliveryMetrics deliveryMetrics;
    private StatsFeed statsFeed;
    /** The link to the cluster's stream; null for a single node. */
    private final ClusterLink cluster;

    private Broker(final BrokerConfig config)
    {
        this.config = config.validate();
        // Before any thread starts: a key file that cannot be used stops start-up with the setting's name.
        this.jwtKeys = JwtKeyFiles.load(config.jwtSecretFile(), config.jwtPublicKeyFile());
        this.alloc = null == config.allocator() ? PooledByteBufAllocator.DEFAULT : config.allocator();
        this.transport = Transport.select(config.transport());
        if (null != transport.fallbackReason())
        {
            LOG.warn("transport {} asked for, using {}: {}", config.transport(), transport.name(), transport.fallbackReason());
        }
        this.acceptGroup = transport.newGroup(1, new DefaultThreadFactory("accept"), config.ioHandlers());
        this.workerGroup = transport.newGroup(config.eventLoops(), new DefaultThreadFactory("loop"), config.ioHandlers());
        this.serverChannelClass = transport.serverChannelClass();

        final List<EventExecutor> loops = new ArrayList<>();
        workerGroup.forEach(loops::add);
        // Cluster mode: the log is fed by the shared stream, its ids are the stream's (ClusterLink).
        this.cluster = null == config.natsUrl() ? null : ClusterLink.connect(config);
        this.engine = null == cluster ?
            new BrokerEngine(config.engineConfig(), loops, alloc, metrics, this::onSequencerError) :
            new BrokerEngine(config.engineConfig(), loops, alloc, metrics, this::onSequencerError, cluster.epochId(),
                cluster.inputFactory());
        for (int reader = 0; reader < loops.size(); reader++)
        {
            fanOuts.put(loops.get(reader), engine.fanOut(reader));
            if (null != cluster)
            {
                // Resumes from below this node's history are read back from the stream.
                engine.fanOut(reader).deepHistory(cluster.history(alloc, metrics));
            }
        }
        this.connectionLimits = new ConnectionLimits(config.maxConnections(), config.maxConnectionsPerAddress(), counters);
        this.exposition = new PrometheusExposition(metrics);
        final List<FanOutStats> loopStats = new ArrayList<>();
        for (int reader = 0; reader < engine.loopCount(); reader++)
        {
            loopStats.add(engine.fanOut(reader).stats());
        }
        this.deliveryMetrics = new DeliveryMetrics(loopStats);
        exposition.register(deliveryMetrics);
        exposition.register(new HistoryMetrics(engine.logWriter()));
    }

    /**
     * Starts a broker and binds its ports.
     */
    public static Broker start(final BrokerConfig config) throws InterruptedException
    {
        final Broker broker = new Broker(config);
        try
        {
            broker.bind();
        }
        catch (final RuntimeException | InterruptedException ex)
        {
            broker.close();
            throw ex;
        }
        return broker;
    }

    private void bind() throws InterruptedException
    {
        engine.start(new DefaultThreadFactory("sequencer", true));
        if (null != cluster)
        {
            cluster.startConsuming();
        }

        final long timerPeriodMs = Math.max(10, Math.min(1000, Math.min(config.heartbeatMs(), config.slowGraceMs()) / 4));
        for (final Map.Entry<EventExecutor, LoopFanOut> entry : fanOuts.entrySet())
        {
            final LoopFanOut fanOut = entry.getValue();
            entry.getKey().scheduleAtFixedRate(
                () -> fanOut.onTimer(System.nanoTime()), timerPeriodMs, timerPeriodMs, TimeUnit.MILLISECONDS);
        }

        final WriteBufferWaterMark waterMark =
            new WriteBufferWaterMark(config.subscriberBufferBytes() / 2, config.subscriberBufferBytes());
        final HttpServerInitializer httpInitializer = new HttpServerInitializer(this);
        httpServer = httpBootstrap(waterMark)
            .childHandler(httpInitializer)
            .bind(new InetSocketAddress(config.host(), config.httpPort()))
            .sync()
            .channel();
        if (config.tlsPort() >= 0)
        {
            tls = loadTls();
            tlsServer = httpBootstrap(waterMark)
                .childHandler(new TlsServerInitializer(this, tls.sslContext(), httpInitializer))
                .bind(new InetSocketAddress(config.host(), config.tlsPort()))
                .sync()
                .channel();
        }

        ingestServer = new ServerBootstrap()
            .group(acceptGroup, workerGroup)
            .channel(serverChannelClass)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.ALLOCATOR, alloc)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(new IngestServerInitializer(this))
            .bind(new InetSocketAddress(config.host(), config.ingestPort()))
            .sync()
            .channel();
        // On a cluster every node's numbers go through the shared stream: each node publishes to a topic of its own.
        statsFeed = StatsFeed.start(this, workerGroup.next(), STATS_INTERVAL_MS, statsTopic());
        jwtKeys.startPolling(config.jwtReloadMs());
        if (LOG.isInfoEnabled())
        {
            LOG.info(startLine());
        }
    }

    private ServerBootstrap httpBootstrap(final WriteBufferWaterMark waterMark)
    {
        final ServerBootstrap http = new ServerBootstrap();
        if (config.socketSendBufferBytes() > 0)
        {
            http.childOption(ChannelOption.SO_SNDBUF, config.socketSendBufferBytes());
        }
        return http
            .group(acceptGroup, workerGroup)
            .channel(serverChannelClass)
            .option(ChannelOption.SO_BACKLOG, 4096)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.ALLOCATOR, alloc)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark);
    }

    private ServerTls loadTls()
    {
        final TlsContexts.Provider provider = TlsContexts.Provider.fromFlag(config.tlsProvider());
        final ServerTls loaded = config.tlsSelfSigned() ?
            TlsContexts.selfSigned(provider) :
            TlsContexts.fromPem(java.nio.file.Path.of(config.tlsCertFile()), java.nio.file.Path.of(config.tlsKeyFile()),
                provider);
        LOG.info("TLS port uses {}{}", loaded.providerDescription(), loaded.selfSigned() ? " (self-signed)" : "");
        return loaded;
    }

    /**
     * @param listener told, once and on another thread, when this node can no longer go on: in a cluster, the stream
     *                 was replaced under it (its ids start over). {@code serve} exits then, to start again.
     */
    public void onFatal(final java.util.function.Consumer<String> listener)
    {
        if (null != cluster)
        {
            cluster.onStreamReplaced(listener);
        }
    }

    private void onSequencerError(final Throwable error)
    {
        counters.increment(Counter.SEQUENCER_ERRORS);
        LOG.error("sequencer error", error);
    }

    /**
     * The one start-up line: ports and their protocols, the limits that shape behaviour, authentication and the
     * id epoch (the first id of this run).
     */
    private String startLine()
    {
        return "sse-broker " + BuildVersion.version() + " started:" +
            " http " + address(httpServer) + " (HTTP/1.1, h2c)" +
            ", tls " + (null == tlsServer ? "off" : address(tlsServer) + " (h2, http/1.1 by ALPN)") +
            ", ingest " + address(ingestServer) + " (protocol v1, v2)" +
            "; " + config.eventLoops() + " event loops (" + transport.name() + ")" +
            "; limits: history " + config.historyCount() + " events / " + config.historyBytes() + " bytes per topic, " +
            config.historyBudgetBytes() + " bytes in all, data " + config.maxDataBytes() + " bytes, " +
            config.maxTopics() + " topics, " + config.maxConnections() + " connections, subscriber buffer " +
            config.subscriberBufferBytes() + " bytes, slow grace " + config.slowGraceMs() + " ms" +
            "; auth " + (authenticator().enabled() ? "jwt" : null != config.ingestToken() ? "ingest token" : "off") +
            (null == cluster ? "" : "; cluster: stream " + cluster.streamName() + " at " + config.natsUrl() +
                ", consuming from sequence " + cluster.startSequence()) +
            "; id epoch " + engine.epochId();
    }

    private static String address(final Channel server)
    {
        final InetSocketAddress address = (InetSocketAddress)server.localAddress();
        return address.getHostString() + ":" + address.getPort();
    }

    /**
     * @return events given an id since start. Any thread.
     */
    public long eventsSequenced()
    {
        return engine.logWriter().eventsAppended();
    }

    /**
     * @return the allocator of every buffer the broker makes.
     */
    public ByteBufAllocator allocator()
    {
        return alloc;
    }

    /**
     * @return ingest answers by outcome and error code.
     */
    public IngestMetrics ingestMetrics()
    {
        return ingestMetrics;
    }

    /**
     * @return latency and lag over every event loop.
     */
    public DeliveryMetrics deliveryMetrics()
    {
        return deliveryMetrics;
    }

    /**
     * @return the authenticator of subscribers and publishers ({@link Authenticator#OPEN} unless JWT is configured):
     *         the keys in use now, which change when their files do ({@link JwtKeyFiles}); take it once per request.
     */
    public Authenticator authenticator()
    {
        return jwtKeys.authenticator();
    }

    public BrokerConfig config()
    {
        return config;
    }

    /**
     * @return every counter and gauge of this broker; see its threading contract.
     */
    public MetricsRegistry metrics()
    {
        return metrics;
    }

    /**
     * @return the Prometheus view of {@link #metrics()} and the JVM's metrics, for {@code GET /metrics}.
     */
    public PrometheusExposition exposition()
    {
        return exposition;
    }

    /**
     * @return HTTP responses by status and streams by protocol.
     */
    public HttpMetrics httpMetrics()
    {
        return httpMetrics;
    }

    /**
     * @return true while the broker accepts and sequences: false once shutdown has begun or the sequencer
     *         has stopped.
     */
    public boolean isReady()
    {
        return !closing.get() && engine.isSequencing() &&
            (null == cluster || (cluster.connected() && cluster.streamIntact() && cluster.caughtUp()));
    }

    public BrokerCounters counters()
    {
        return counters;
    }

    public TopicRegistry topics()
    {
        return engine.topics();
    }

    public IngestRing ingestRing()
    {
        return engine.ingestRing();
    }

    /** Caps on connections, shared by every port. */
    public ConnectionLimits connectionLimits()
    {
        return connectionLimits;
    }

    /** What the sequencer remembers to take resends at most once; publisher ids attach here. */
    public Deduplication dedup()
    {
        return engine.dedup();
    }

    public PublisherSessions sessions()
    {
        return engine.sessions();
    }

    /** The log's one writer: events appended, retention, top topics. */
    public LogWriter logWriter()
    {
        return engine.logWriter();
    }

    public long epochId()
    {
        return engine.epochId();
    }

    @Override
    public String statsTopic()
    {
        return null == cluster ? StatsFeed.TOPIC : StatsFeed.TOPIC + "." + cluster.nodeName();
    }

    public boolean isClosing()
    {
        return closing.get();
    }

    /**
     * Stops the sequencer from taking events until {@link #resumeSequencing()}: publishers are
     * back-pressured (their ingest connections stop being read), nothing is lost. For maintenance
     * and for tests of back-pressure.
     */
    public void pauseSequencing()
    {
        engine.pauseSequencing();
    }

    public void resumeSequencing()
    {
        engine.resumeSequencing();
    }

    /**
     * @return the fan-out of the given event loop.
     */
    public LoopFanOut fanOut(final EventLoop loop)
    {
        return fanOuts.get(loop);
    }

    /**
     * @return the socket transport the event loops run: {@code epoll}, {@code io_uring} or {@code nio}; another than
     *         the {@code transport} setting asked for when that one is not available here.
     */
    public String transportName()
    {
        return transport.name();
    }

    /**
     * @return the worker event loops, whose fan-outs serve the subscribers of the channels registered
     *         on them; tests attach in-memory channels here to drive the real pipelines.
     */
    public EventLoopGroup eventLoops()
    {
        return workerGroup;
    }

    public ChannelGroup ingestChannels()
    {
        return ingestChannels;
    }

    public ChannelGroup httpChannels()
    {
        return httpChannels;
    }

    public int httpPort()
    {
        return ((InetSocketAddress)httpServer.localAddress()).getPort();
    }

    /**
     * @return the bound TLS port, or -1 when the broker has none.
     */
    public int tlsPort()
    {
        return null == tlsServer ? -1 : ((InetSocketAddress)tlsServer.localAddress()).getPort();
    }

    /**
     * @return the TLS port's certificate and provider, or null when the broker has none.
     */
    public ServerTls tls()
    {
        return tls;
    }

    public int ingestPort()
    {
        return ((InetSocketAddress)ingestServer.localAddress()).getPort();
    }

    /**
     * @return total events written to subscribers, summed over loops (each exact as of its last batch).
     */
    public long deliveries()
    {
        return engine.deliveries();
    }

    public long evictions(final EvictionReason reason)
    {
        return engine.evictions(reason);
    }

    /**
     * One line with the deliveries, the evictions by reason and every counter that is not zero, for the log
     * line at shutdown (until the metrics endpoint exists, the only way a run's counters leave the process).
     */
    public String countersLine()
    {
        final StringBuilder line = new StringBuilder("deliveries=").append(deliveries());
        for (final EvictionReason reason : EvictionReason.values())
        {
            line.append(" evicted_").append(reason.name().toLowerCase(Locale.ROOT)).append('=')
                .append(evictions(reason));
        }
        for (final Counter counter : Counter.values())
        {
            final long value = counters.get(counter);
            if (0 != value)
            {
                line.append(' ').append(counter.metricName()).append('=').append(value);
            }
        }
        return line.toString();
    }

    /**
     * @return subscribers currently registered, summed over loops (each loop's count is exact; the sum is not a snapshot).
     */
    public int subscribers()
    {
        return engine.subscribers();
    }

    /**
     * Graceful shutdown; see the class documentation. Idempotent.
     */
    @Override
    public void close()
    {
        if (!closing.compareAndSet(false, true))
        {
            return;
        }
        long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.shutdownTimeoutMs());
        try
        {
            jwtKeys.close();
            if (null != statsFeed)
            {
                statsFeed.close();
            }
            closeServer(httpServer);
            closeServer(tlsServer);
            closeServer(ingestServer);

            if (config.drainMs() > 0)
            {
                // No new streams (HTTP/2 connections get GOAWAY, idle HTTP/1.1 ones close); the open ones go on
                // being served, and publishers too, while they are ended a few at a time.
                httpChannels.forEach(ch -> ch.pipeline().fireUserEventTriggered(BrokerEvent.STOP_READING));
                drainStreams(TimeUnit.MILLISECONDS.toNanos(config.drainMs()));
                deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.shutdownTimeoutMs());
            }

            // Stop taking new publishes; connections answer what they have already handed over.
            ingestChannels.forEach(ch -> ch.pipeline().fireUserEventTriggered(BrokerEvent.STOP_READING));
            httpChannels.forEach(ch -> ch.pipeline().fireUserEventTriggered(BrokerEvent.STOP_READING));
            runOnEveryLoop(fanOut -> { }, deadlineNs);

            // Let the sequencer take everything in the ring and finish the batch that acknowledges it.
            engine.awaitSequenced(deadlineNs);
            // Every loop applies the final batches, then answers its publishers and ends its streams.
            runOnEveryLoop(fanOut -> fanOut.drain(System.nanoTime()), deadlineNs);
            ingestChannels.forEach(ch -> ch.pipeline().fireUserEventTriggered(BrokerEvent.SHUTDOWN));
            httpChannels.forEach(ch -> ch.pipeline().fireUserEventTriggered(BrokerEvent.SHUTDOWN));
            runOnEveryLoop(fanOut -> fanOut.closeAll(EvictionReason.SHUTDOWN), deadlineNs);
        }
        finally
        {
            if (null != cluster)
            {
                cluster.stopConsuming();
            }
            engine.stop();
            if (null != cluster)
            {
                cluster.close();
            }
            runOnEveryLoop(LoopFanOut::release, System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
            final long remainingMs = Math.max(100, TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime()));
            final Future<?> workers = workerGroup.shutdownGracefully(0, remainingMs, TimeUnit.MILLISECONDS);
            final Future<?> acceptors = acceptGroup.shutdownGracefully(0, remainingMs, TimeUnit.MILLISECONDS);
            workers.awaitUninterruptibly(remainingMs + 1000);
            acceptors.awaitUninterruptibly(remainingMs + 1000);
        }
    }

    /**
     * Ends each loop's streams in even steps over {@code drainNs}: at every tick a loop keeps the share of the streams
     * it had at the start that the time left allows (streams opened meanwhile count against it too).
     */
    private void drainStreams(final long drainNs)
    {
        final Map<LoopFanOut, Integer> atStart = new java.util.concurrent.ConcurrentHashMap<>();
        runOnEveryLoop(fanOut -> atStart.put(fanOut, fanOut.subscriberCount()),
            System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
        final int streams = atStart.values().stream().mapToInt(Integer::intValue).sum();
        LOG.info("draining {} streams over {} ms", streams, TimeUnit.NANOSECONDS.toMillis(drainNs));
        final long tickNs = Math.max(TimeUnit.MILLISECONDS.toNanos(10), drainNs / 1000);
        final long startNs = System.nanoTime();
        while (true)
        {
            final long elapsedNs = System.nanoTime() - startNs;
            final double share = Math.max(0.0, 1.0 - (double)elapsedNs / drainNs);
            runOnEveryLoop(fanOut -> fanOut.closeDownTo(
                    (int)Math.ceil(atStart.getOrDefault(fanOut, 0) * share), EvictionReason.SHUTDOWN),
                System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
            if (elapsedNs >= drainNs)
            {
                return;
            }
            try
            {
                TimeUnit.NANOSECONDS.sleep(Math.min(tickNs, drainNs - elapsedNs));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void closeServer(final Channel server)
    {
        if (null != server)
        {
            server.close().awaitUninterruptibly(5000);
        }
    }

    /**
     * Runs a step on every worker loop, with that loop's fan-out, and waits for all of them (the
     * loops' task queues also make it a barrier behind everything queued before).
     */
    private void runOnEveryLoop(final java.util.function.Consumer<LoopFanOut> task, final long deadlineNs)
    {
        final CountDownLatch done = new CountDownLatch(fanOuts.size());
        for (final Map.Entry<EventExecutor, LoopFanOut> entry : fanOuts.entrySet())
        {
            final EventExecutor executor = entry.getKey();
            final LoopFanOut fanOut = entry.getValue();
            if (executor.isShuttingDown())
            {
                done.countDown();
                continue;
            }
            executor.execute(() ->
            {
                try
                {
                    task.accept(fanOut);
                }
                catch (final RuntimeException ex)
                {
                    LOG.warn("shutdown step failed", ex);
                }
                finally
                {
                    done.countDown();
                }
            });
        }
        try
        {
            done.await(Math.max(1, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

}

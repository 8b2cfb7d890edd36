package io.ssebroker.server.testing;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.ssebroker.engine.BrokerEngine;
import io.ssebroker.fanout.LoopFanOut;
import io.ssebroker.ingest.Deduplication;
import io.ssebroker.ingest.IngestRing;
import io.ssebroker.ingest.PublisherSessions;
import io.ssebroker.log.TopicRegistry;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.metrics.MetricsRegistry;
import io.ssebroker.server.auth.Authenticator;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.edge.ConnectionLimits;
import io.ssebroker.server.edge.HttpBackend;
import io.ssebroker.server.edge.IngestBackend;
import io.ssebroker.server.metrics.HttpMetrics;
import io.ssebroker.server.metrics.IngestMetrics;
import io.ssebroker.server.metrics.PrometheusExposition;

import java.util.List;

/**
 * What a handler may see of a broker, for a handler alone on an {@code EmbeddedChannel}: an engine built on one
 * inline executor and not started (no sequencer thread), fresh counters and metrics, authentication off.
 * Call {@link #close} to give back the engine's buffers.
 */
public final class EngineBackend implements HttpBackend, IngestBackend, AutoCloseable
{
    private final BrokerConfig config;
    private final MetricsRegistry metrics = new MetricsRegistry();
    private final BrokerCounters counters = new BrokerCounters(metrics);
    private final HttpMetrics httpMetrics = new HttpMetrics(metrics);
    private final IngestMetrics ingestMetrics = new IngestMetrics(metrics);
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final ConnectionLimits limits;
    private final BrokerEngine engine;

    public EngineBackend(final BrokerConfig config)
    {
        this.config = config;
        this.limits = new ConnectionLimits(config.maxConnections(), config.maxConnectionsPerAddress(), counters);
        this.engine = new BrokerEngine(config.engineConfig(), List.of(Runnable::run), UnpooledByteBufAllocator.DEFAULT,
            metrics, error -> { });
    }

    public BrokerEngine engine()
    {
        return engine;
    }

    @Override
    public BrokerConfig config()
    {
        return config;
    }

    @Override
    public BrokerCounters counters()
    {
        return counters;
    }

    @Override
    public IngestRing ingestRing()
    {
        return engine.ingestRing();
    }

    @Override
    public PublisherSessions sessions()
    {
        return engine.sessions();
    }

    @Override
    public Deduplication dedup()
    {
        return engine.dedup();
    }

    @Override
    public long epochId()
    {
        return engine.epochId();
    }

    @Override
    public LoopFanOut fanOut(final EventLoop loop)
    {
        return engine.fanOut(0);
    }

    @Override
    public TopicRegistry topics()
    {
        return engine.topics();
    }

    @Override
    public Authenticator authenticator()
    {
        return Authenticator.OPEN;
    }

    @Override
    public HttpMetrics httpMetrics()
    {
        return httpMetrics;
    }

    @Override
    public IngestMetrics ingestMetrics()
    {
        return ingestMetrics;
    }

    @Override
    public PrometheusExposition exposition()
    {
        return new PrometheusExposition(metrics);
    }

    @Override
    public boolean isClosing()
    {
        return false;
    }

    @Override
    public boolean isReady()
    {
        return true;
    }

    @Override
    public ChannelGroup httpChannels()
    {
        return channels;
    }

    @Override
    public ChannelGroup ingestChannels()
    {
        return channels;
    }

    @Override
    public ConnectionLimits connectionLimits()
    {
        return limits;
    }

    @Override
    public void close()
    {
        engine.fanOut(0).release();
    }
}

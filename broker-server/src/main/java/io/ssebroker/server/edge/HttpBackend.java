package io.ssebroker.server.edge;

import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.ssebroker.fanout.LoopFanOut;
import io.ssebroker.log.TopicRegistry;
import io.ssebroker.server.auth.Authenticator;
import io.ssebroker.server.dashboard.StatsFeed;
import io.ssebroker.server.metrics.HttpMetrics;
import io.ssebroker.server.metrics.PrometheusExposition;

/**
 * What the HTTP/1.1 and HTTP/2 handlers need from the broker, and nothing else: subscribing (the fan-out of the
 * connection's own event loop, topics), publishing ({@link PublishBackend}), authentication, the health and
 * metrics endpoints, and the connection bookkeeping.
 */
public interface HttpBackend extends PublishBackend
{
    /**
     * @return the fan-out of the given event loop.
     */
    LoopFanOut fanOut(EventLoop loop);

    TopicRegistry topics();

    Authenticator authenticator();

    HttpMetrics httpMetrics();

    PrometheusExposition exposition();

    /**
     * @return the topic this broker publishes its own numbers to, which {@code /dashboard} follows: {@code
     *         @broker.stats}, or on a cluster {@code @broker.stats.<node>}, each node's its own.
     */
    default String statsTopic()
    {
        return StatsFeed.TOPIC;
    }

    /**
     * @return true once shutdown has begun.
     */
    boolean isClosing();

    /**
     * @return true while accepting and sequencing.
     */
    boolean isReady();

    ChannelGroup httpChannels();

    ConnectionLimits connectionLimits();
}

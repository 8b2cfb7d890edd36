package io.ssebroker.server.edge;

import io.netty.buffer.ByteBufAllocator;
import io.ssebroker.fanout.EvictionReason;
import io.ssebroker.log.TopicRegistry;
import io.ssebroker.server.metrics.DeliveryMetrics;
import io.ssebroker.server.metrics.HttpMetrics;

/**
 * What the broker's own stats feed reads and publishes through. Every accessor may be called from any thread.
 */
public interface StatsBackend extends PublishBackend
{
    boolean isClosing();

    long eventsSequenced();

    long deliveries();

    long evictions(EvictionReason reason);

    int subscribers();

    DeliveryMetrics deliveryMetrics();

    HttpMetrics httpMetrics();

    TopicRegistry topics();

    ByteBufAllocator allocator();
}

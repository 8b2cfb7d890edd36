package io.ssebroker.server.edge;

import io.netty.channel.group.ChannelGroup;
import io.ssebroker.ingest.Deduplication;
import io.ssebroker.log.TopicRegistry;
import io.ssebroker.server.auth.Authenticator;
import io.ssebroker.server.metrics.IngestMetrics;

/**
 * What the ingest port's handlers need from the broker, and nothing else: publishing, deduplication by publisher
 * id, topics, the id epoch for {@code WELCOME}, authentication, and the connection bookkeeping.
 */
public interface IngestBackend extends PublishBackend
{
    Deduplication dedup();

    TopicRegistry topics();

    long epochId();

    Authenticator authenticator();

    IngestMetrics ingestMetrics();

    ChannelGroup ingestChannels();

    ConnectionLimits connectionLimits();
}

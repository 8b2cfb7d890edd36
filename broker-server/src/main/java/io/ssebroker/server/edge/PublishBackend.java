package io.ssebroker.server.edge;

import io.ssebroker.ingest.IngestRing;
import io.ssebroker.ingest.PublisherSessions;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.server.config.BrokerConfig;

/**
 * What a publishing path needs from the broker: the ingest ring to offer publishes to, the sessions that number
 * and answer them, and the limits. <b>Threading:</b> as each accessor's type states; called on event loops.
 */
public interface PublishBackend
{
    BrokerConfig config();

    BrokerCounters counters();

    IngestRing ingestRing();

    PublisherSessions sessions();
}

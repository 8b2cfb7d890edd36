package io.ssebroker.engine;

import java.util.function.Predicate;

/**
 * What a {@link BrokerEngine} is built from: sizes, limits and timings of the ring, the log, the histories and the
 * fan-out. The server derives it from its configuration; tests and benchmarks build it directly.
 *
 * @param ingestRingBytes    ingest ring capacity, a power of two.
 * @param logCapacity        event log entries, a power of two.
 * @param historyCount       events retained per topic.
 * @param historyBytes       frame bytes retained per topic.
 * @param historyBudgetBytes frame bytes retained over all topics.
 * @param maxTopics          distinct topics accepted.
 * @param conflated          which topics conflate slow subscribers, by name.
 * @param dedupWindowEvents  publishes remembered per publisher id to answer resends.
 * @param dedupWindowMs      longest a publish is remembered.
 * @param dedupMaxPublishers publisher ids remembered at once.
 * @param sequencerBatch     most publishes the sequencer takes per cycle.
 * @param fanOutBatch        most log entries an event loop applies per wake-up.
 * @param slowGraceMs        how long a subscriber may stay slow before eviction.
 * @param heartbeatMs        idle time after which a stream gets a heartbeat comment.
 * @param retryMs            the {@code retry:} sent at stream start.
 * @param flushLingerNs      how long the sequencer holds its next batch after one that emptied the ring, so that
 *                           what arrives meanwhile goes out in one wake-up and one write per channel; 0 for none.
 * @param writeLingerNs      how long after a subscriber's write its next one waits, so that the events arriving
 *                           meanwhile go out in one socket write; 0 for none (see {@code LoopFanOut#writeLinger}).
 */
public record EngineConfig(
    int ingestRingBytes,
    int logCapacity,
    int historyCount,
    long historyBytes,
    long historyBudgetBytes,
    int maxTopics,
    Predicate<String> conflated,
    int dedupWindowEvents,
    long dedupWindowMs,
    int dedupMaxPublishers,
    int sequencerBatch,
    int fanOutBatch,
    long slowGraceMs,
    long heartbeatMs,
    long retryMs,
    long flushLingerNs,
    long writeLingerNs)
{
}

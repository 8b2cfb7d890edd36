/**
 * Load generator: subscriber streams over HTTP/1.1 and h2c, a fixed-rate publisher over the ingest protocol or
 * HTTP POST, latency corrected for coordinated omission, aggregation across child processes, and for a reconnect
 * storm self-inflicted drops with an exact per-subscriber delivery check ({@link io.ssebroker.loadgen.ExactCheck}).
 * <p>
 * Threads: subscriber connections run on a Netty event loop group (epoll where available), each stream
 * confined to one loop with its counters in that loop's {@link io.ssebroker.loadgen.LoopStats}; the publisher
 * has a thread of its own; the command's thread ramps connections, prints progress once a second and merges
 * results, its own and its child processes'. See docs/loadgen.md.
 */
package io.ssebroker.loadgen;

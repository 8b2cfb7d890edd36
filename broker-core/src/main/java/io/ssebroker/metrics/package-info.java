/**
 * Broker-wide counters of rare events (rejections, errors, connections), incremented from any
 * thread. Per-event counters live with their single writer (sequencer, fan-out loop) instead.
 */
package io.ssebroker.metrics;

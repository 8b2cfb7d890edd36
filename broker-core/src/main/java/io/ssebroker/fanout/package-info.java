/**
 * Per-event-loop fan-out: each loop's copy of topic histories (references to the shared frames),
 * its subscriber cursors, and the drain that writes new events to them. Confined to one event loop
 * per {@link io.ssebroker.fanout.LoopFanOut}; the only cross-thread entry is
 * {@link io.ssebroker.fanout.LoopFanOut#wake()}.
 */
package io.ssebroker.fanout;

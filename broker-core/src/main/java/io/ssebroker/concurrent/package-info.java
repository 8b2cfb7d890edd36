/**
 * Concurrency building blocks shared by the engine's packages (a cache-line-padded sequence with
 * release/acquire access), so that {@code log} and {@code ingest} depend on it rather than on each other.
 */
package io.ssebroker.concurrent;

/**
 * Setup the benchmarks share: the engine pieces built the same way for every trial, and the event
 * payloads they feed it. Nothing here is measured; it runs on the JMH thread in {@code @Setup}.
 */
package io.ssebroker.bench;

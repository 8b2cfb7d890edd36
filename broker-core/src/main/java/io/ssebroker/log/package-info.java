/**
 * The sequenced event log: the ingest ring's consumer ({@link io.ssebroker.log.Sequencer}) assigns
 * broker-wide ids, encodes each event once and appends it to the {@link io.ssebroker.log.EventLog}
 * that every event loop reads. Topic naming and retention policy live here too.
 * <p>
 * Threads: the sequencer thread owns every mutable field of the sequencer and the log's write side;
 * event loops read the log; topic registration is safe from any thread.
 */
package io.ssebroker.log;

/**
 * The engine as one unit ({@link io.ssebroker.engine.BrokerEngine}): ring, sequencer, log, histories and fan-out,
 * wired together without any network code. Built on the starting thread; see each class for its threading.
 */
package io.ssebroker.engine;

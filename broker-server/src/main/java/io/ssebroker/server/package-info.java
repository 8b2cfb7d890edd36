/**
 * The broker process: configuration, wiring of the engine to Netty event loops, lifecycle and the
 * command line. {@link io.ssebroker.server.Broker} is the embedding entry point used by the CLI and
 * by tests.
 */
package io.ssebroker.server;

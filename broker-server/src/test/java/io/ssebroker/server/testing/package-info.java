/**
 * Helpers shared by the end-to-end tests: raw HTTP/1.1 and ingest sockets that expose exact bytes,
 * an h2c client that records HTTP/2 frames per stream ({@link io.ssebroker.server.testing.H2cTestClient}),
 * external clients run as subprocesses ({@link io.ssebroker.server.testing.ToolProcess}), a
 * WHATWG-conformant SSE parser, in-memory connections to the broker's real pipelines for tests
 * that need more connections than sockets allow ({@link io.ssebroker.server.testing.LocalPorts}),
 * and deadline-bounded waits. Calls block the test thread with a
 * timeout, never with a sleep; what other threads (a client's event loop, a subprocess reader)
 * receive is handed to the test thread through thread-safe structures, and only the test thread
 * asserts.
 */
package io.ssebroker.server.testing;

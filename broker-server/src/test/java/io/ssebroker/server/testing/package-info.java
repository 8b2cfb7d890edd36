/**
 * Helpers shared by the end-to-end tests: raw HTTP/1.1 and ingest sockets that expose exact bytes,
 * a WHATWG-conformant SSE parser, and deadline-bounded waits. Everything here runs on the calling
 * test thread and blocks with a socket timeout, never with a sleep.
 */
package io.ssebroker.server.testing;

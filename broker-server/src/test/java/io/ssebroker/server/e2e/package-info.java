/**
 * End-to-end tests: each starts a real broker in-process on ephemeral loopback ports and talks to it
 * with real clients over real sockets (raw {@link java.net.Socket}s for exact bytes and malformed
 * input, the JDK {@link java.net.http.HttpClient}, the project's ingest client, curl where installed).
 */
package io.ssebroker.server.e2e;

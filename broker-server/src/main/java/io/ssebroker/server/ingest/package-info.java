/**
 * The TCP ingest edge: the server side of the binary protocol in {@code docs/ingest-protocol.md}.
 * Every handler runs on its channel's event loop.
 */
package io.ssebroker.server.ingest;

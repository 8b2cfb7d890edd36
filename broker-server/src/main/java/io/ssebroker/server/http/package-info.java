/**
 * The HTTP/1.1 edge: request routing, {@code GET /events} streams, {@code POST /publish}, CORS and
 * error responses. Every handler runs on the channel's event loop.
 */
package io.ssebroker.server.http;

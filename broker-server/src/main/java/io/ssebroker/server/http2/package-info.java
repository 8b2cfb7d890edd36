/**
 * The HTTP/2 edge: one {@link io.ssebroker.server.http2.Http2BrokerHandler} per connection drives
 * every stream of it (subscriptions as long-lived server streams, publishes, errors) through Netty's
 * {@code Http2ConnectionHandler}, without a child channel per stream. Routing and parsing are the
 * HTTP/1.1 edge's ({@code io.ssebroker.server.http}), so both protocols answer alike. Everything
 * runs on the connection's event loop.
 */
package io.ssebroker.server.http2;

/**
 * What the Netty handlers see of the broker: narrow interfaces ({@link io.ssebroker.server.edge.HttpBackend},
 * {@link io.ssebroker.server.edge.IngestBackend}, {@link io.ssebroker.server.edge.PublishBackend}) that
 * {@link io.ssebroker.server.Broker} implements, plus the shutdown events, connection limits and exception policy
 * every handler shares. Handlers depend on this package, not on {@code Broker}, so the server package and the
 * handler packages no longer import each other.
 */
package io.ssebroker.server.edge;

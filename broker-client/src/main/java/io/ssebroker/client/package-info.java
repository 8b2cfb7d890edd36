/**
 * Java publisher client for the TCP ingest protocol (docs/ingest-protocol.md, version 1).
 * <p>
 * {@link io.ssebroker.client.IngestClient} owns one connection. Frames are encoded by
 * {@link io.ssebroker.client.IngestFrameEncoder} on the publishing thread and decoded by
 * {@link io.ssebroker.client.IngestFrameDecoder} on the connection's event loop, which also completes
 * acknowledgements. {@link io.ssebroker.client.LengthPrefixFramer} finds frames in a byte stream for that decoder
 * and for the broker's ingest handler alike, as the body readers ({@link io.ssebroker.client.HelloFrameReader},
 * {@link io.ssebroker.client.PublishFrameReader}) serve the broker. {@link io.ssebroker.client.NettyTransport} picks
 * epoll when it is available and NIO otherwise; the load generator uses it too.
 */
package io.ssebroker.client;

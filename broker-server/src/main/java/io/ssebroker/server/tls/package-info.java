/**
 * TLS for the broker's optional TLS port: builds the server's {@link io.netty.handler.ssl.SslContext}
 * from PEM files or from a development-only self-signed certificate, chooses the TLS provider
 * (BoringSSL through netty-tcnative where it loads, the JDK otherwise) and offers {@code h2} and
 * {@code http/1.1} through ALPN. It owns no channel and no pipeline: wiring the context's handler into
 * the bootstrap is the server's job.
 * <p>
 * Everything here runs once, on the thread that starts the broker, before any port is bound: reading
 * files and generating keys block. The contexts it returns are immutable and thread-safe; each event
 * loop calls {@code newHandler} on them from its channels' initialisers.
 */
package io.ssebroker.server.tls;

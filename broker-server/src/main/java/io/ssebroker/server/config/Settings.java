package io.ssebroker.server.config;


import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.ssebroker.server.config.Setting.bool;
import static io.ssebroker.server.config.Setting.choice;
import static io.ssebroker.server.config.Setting.list;
import static io.ssebroker.server.config.Setting.number;
import static io.ssebroker.server.config.Setting.powerOfTwo;
import static io.ssebroker.server.config.Setting.text;

/**
 * Every setting of {@code serve}, in the order help, {@code --print-config} and the README list them. Defaults are
 * {@link BrokerConfig#defaults()}'s; ranges are here, and {@link BrokerConfig#validate()} checks them for
 * configurations built in code too.
 * <p>
 * <b>Threading:</b> immutable.
 */
public final class Settings
{
    private static final long HOUR_MS = 3_600_000;
    private static final long DAY_MS = 86_400_000;

    /** All settings, in order. */
    public static final List<Setting> ALL = List.of(
        text("host", "Address to bind every port to", false, BrokerConfig::host, BrokerConfig::host),
        number("http-port", "HTTP port: HTTP/1.1, h2c prior knowledge and h2c upgrade (0 picks a free port)", 0, 65535,
            BrokerConfig::httpPort, (c, v) -> c.httpPort(v.intValue())),
        number("ingest-port", "TCP ingest port (0 picks a free port)", 0, 65535,
            BrokerConfig::ingestPort, (c, v) -> c.ingestPort(v.intValue())),
        choice("transport", "Socket transport of the event loops; io_uring falls back to epoll, epoll to nio, where "
                + "not available", List.of("epoll", "io_uring", "nio"), BrokerConfig::transport, BrokerConfig::transport),
        number("event-loops", "Event loop threads serving connections (default: the number of cores)", 1, 1024,
            BrokerConfig::eventLoops, (c, v) -> c.eventLoops(v.intValue())),
        number("history-count", "Events retained per topic", 1, 1 << 24,
            BrokerConfig::historyCount, (c, v) -> c.historyCount(v.intValue())),
        number("history-bytes", "Frame bytes retained per topic", 1024, 64L << 30,
            BrokerConfig::historyBytes, BrokerConfig::historyBytes),
        number("history-budget-bytes", "Frame bytes retained over all topics", 1024 * 1024, 64L << 30,
            BrokerConfig::historyBudgetBytes, BrokerConfig::historyBudgetBytes),
        list("conflate-prefix", "Topics starting with one of these prefixes conflate slow subscribers (repeatable)",
            BrokerConfig::conflatePrefixes, BrokerConfig::conflatePrefixes),
        number("max-topics", "Distinct topics the broker accepts", 1, 1 << 24,
            BrokerConfig::maxTopics, (c, v) -> c.maxTopics(v.intValue())),
        number("max-topics-per-stream", "Topics one stream may subscribe to", 1, 65536,
            BrokerConfig::maxTopicsPerStream, (c, v) -> c.maxTopicsPerStream(v.intValue())),
        number("max-data-bytes", "Largest event data (at most ingest-ring-bytes / 16)", 16, 64 << 20,
            BrokerConfig::maxDataBytes, (c, v) -> c.maxDataBytes(v.intValue())),
        number("retry-ms", "retry: sent at the start of every stream", 0, DAY_MS,
            BrokerConfig::retryMs, BrokerConfig::retryMs),
        number("heartbeat-ms", "Comment heartbeat on idle streams", 10, HOUR_MS,
            BrokerConfig::heartbeatMs, BrokerConfig::heartbeatMs),
        number("flush-linger-us",
            "After a batch, how long newer events wait to go out together (one wake-up and write per channel); "
                + "the first event after a quiet spell goes at once; 0 = none", 0, 100_000,
            BrokerConfig::flushLingerUs, BrokerConfig::flushLingerUs),
        number("write-linger-us",
            "How long after a subscriber's write its next one waits, so the events meanwhile go out in one socket "
                + "write; a stream quiet for longer is written at once; 0 = none", 0, 1_000_000,
            BrokerConfig::writeLingerUs, BrokerConfig::writeLingerUs),
        number("subscriber-buffer-bytes", "Outbound bytes a subscriber may have queued before it counts as slow",
            4096, 1 << 30, BrokerConfig::subscriberBufferBytes, (c, v) -> c.subscriberBufferBytes(v.intValue())),
        number("socket-send-buffer-bytes",
            "SO_SNDBUF of HTTP connections, bounding what the kernel holds for a stalled reader; 0 = auto-tuning",
            0, 64 << 20, BrokerConfig::socketSendBufferBytes, (c, v) -> c.socketSendBufferBytes(v.intValue())),
        number("slow-grace-ms", "How long a subscriber may stay slow before it is evicted", 0, HOUR_MS,
            BrokerConfig::slowGraceMs, BrokerConfig::slowGraceMs),
        list("cors-origin", "Allowed origins (repeatable), or * for any (no credentials)",
            BrokerConfig::corsOrigins, BrokerConfig::corsOrigins),
        number("request-timeout-ms", "A request must arrive completely within this time", 10, HOUR_MS,
            BrokerConfig::requestTimeoutMs, BrokerConfig::requestTimeoutMs),
        number("max-connections", "Connections over every port, 0 for no limit", 0, 10_000_000,
            BrokerConfig::maxConnections, (c, v) -> c.maxConnections(v.intValue())),
        number("max-connections-per-address", "Connections from one source address, 0 for no limit", 0, 10_000_000,
            BrokerConfig::maxConnectionsPerAddress, (c, v) -> c.maxConnectionsPerAddress(v.intValue())),
        text("ingest-token", "Token publishers must present in HELLO (none: any publisher is taken)", true,
            BrokerConfig::ingestToken, BrokerConfig::ingestToken),
        text("jwt-secret-file", "HS256 secret (at least 32 bytes): turns on JWT authentication of subscribers and publishers",
            false, BrokerConfig::jwtSecretFile, BrokerConfig::jwtSecretFile),
        text("jwt-public-key-file", "PEM public key (RSA or EC) or JWKS file: turns on JWT authentication (RS256, ES256)",
            false, BrokerConfig::jwtPublicKeyFile, BrokerConfig::jwtPublicKeyFile),
        text("jwt-cookie-name", "Cookie a token may come in, besides Authorization: Bearer and ?access_token=",
            false, BrokerConfig::jwtCookieName, BrokerConfig::jwtCookieName),
        number("jwt-reload-ms", "How often the JWT key files are checked for changes and reloaded; 0 = read once at start",
            0, HOUR_MS, BrokerConfig::jwtReloadMs, BrokerConfig::jwtReloadMs),
        powerOfTwo("max-in-flight", "Publish frames one ingest connection may have unanswered", 1, 1 << 20,
            BrokerConfig::maxInFlight, (c, v) -> c.maxInFlight(v.intValue())),
        number("dedup-window-events",
            "Publishes remembered per publisher id (and idempotency keys in all) to answer resends; at least max-in-flight",
            1, 1 << 22, BrokerConfig::dedupWindowEvents, (c, v) -> c.dedupWindowEvents(v.intValue())),
        number("dedup-window-ms", "Longest time a publish is remembered to answer a resend", 1000, DAY_MS,
            BrokerConfig::dedupWindowMs, BrokerConfig::dedupWindowMs),
        number("dedup-max-publishers", "Publisher ids remembered at once", 1, 65536,
            BrokerConfig::dedupMaxPublishers, (c, v) -> c.dedupMaxPublishers(v.intValue())),
        number("handshake-timeout-ms", "An ingest connection must send HELLO within this time", 10, HOUR_MS,
            BrokerConfig::handshakeTimeoutMs, BrokerConfig::handshakeTimeoutMs),
        number("frame-timeout-ms", "A started ingest frame must arrive completely within this time", 10, HOUR_MS,
            BrokerConfig::frameTimeoutMs, BrokerConfig::frameTimeoutMs),
        powerOfTwo("ingest-ring-bytes", "Ingest ring between publishers and the sequencer", 64 * 1024, 1 << 30,
            BrokerConfig::ingestRingBytes, (c, v) -> c.ingestRingBytes(v.intValue())),
        powerOfTwo("log-capacity", "Entries of the event log the event loops read from", 1024, 1 << 24,
            BrokerConfig::logCapacity, (c, v) -> c.logCapacity(v.intValue())),
        number("sequencer-batch", "Most publishes the sequencer takes from the ring per cycle", 1, 1 << 20,
            BrokerConfig::sequencerBatch, (c, v) -> c.sequencerBatch(v.intValue())),
        number("fan-out-batch", "Most log entries an event loop fans out per wake-up", 1, 1 << 20,
            BrokerConfig::fanOutBatch, (c, v) -> c.fanOutBatch(v.intValue())),
        number("tls-port", "TLS port serving HTTP/1.1 and h2 (ALPN); -1 = off", -1, 65535,
            BrokerConfig::tlsPort, (c, v) -> c.tlsPort(v.intValue())),
        text("tls-cert", "PEM certificate chain for tls-port", false, BrokerConfig::tlsCertFile, BrokerConfig::tlsCertFile),
        text("tls-key", "PEM (PKCS#8) private key for tls-port", false, BrokerConfig::tlsKeyFile, BrokerConfig::tlsKeyFile),
        bool("tls-self-signed", "Generate a self-signed certificate for tls-port at start-up (development only)",
            BrokerConfig::tlsSelfSigned, BrokerConfig::tlsSelfSigned),
        choice("tls-provider", "TLS implementation: OpenSSL/BoringSSL where it loads, else the JDK (auto)",
            List.of("auto", "openssl", "jdk"), BrokerConfig::tlsProvider, BrokerConfig::tlsProvider),
        number("h2-max-concurrent-streams", "Streams one HTTP/2 connection may have open at once", 1, 1_000_000,
            BrokerConfig::http2MaxConcurrentStreams, (c, v) -> c.http2MaxConcurrentStreams(v.intValue())),
        number("h2-max-header-list-bytes", "Largest request header block an HTTP/2 client may send", 4096, 16 << 20,
            BrokerConfig::http2MaxHeaderListBytes, (c, v) -> c.http2MaxHeaderListBytes(v.intValue())),
        number("h2-connection-buffer-bytes", "Outbound bytes one HTTP/2 connection may queue, over all its streams",
            64 * 1024, 1 << 30, BrokerConfig::http2ConnectionBufferBytes,
            (c, v) -> c.http2ConnectionBufferBytes(v.intValue())),
        text("nats-url", "Join a cluster: NATS server(s) with JetStream, nats://HOST:PORT (comma-separated); none = single node",
            false, BrokerConfig::natsUrl, BrokerConfig::natsUrl),
        text("nats-stream", "JetStream stream holding every topic of the cluster (subjects NAME.<topic>)", false,
            BrokerConfig::natsStream, BrokerConfig::natsStream),
        number("nats-max-age-ms", "Stream retention by age, when this node creates the stream", 1000, 3650 * DAY_MS,
            BrokerConfig::natsMaxAgeMs, BrokerConfig::natsMaxAgeMs),
        number("nats-max-events", "Stream retention by count, when this node creates the stream", 1, 1L << 40,
            BrokerConfig::natsMaxEvents, BrokerConfig::natsMaxEvents),
        number("nats-max-bytes", "Stream retention by bytes, when this node creates the stream", 1 << 20, 1L << 50,
            BrokerConfig::natsMaxBytes, BrokerConfig::natsMaxBytes),
        number("nats-replicas", "Stream replicas (R1, R3, R5 on a NATS cluster), when this node creates the stream", 1, 5,
            BrokerConfig::natsReplicas, BrokerConfig::natsReplicas),
        number("nats-publish-timeout-ms", "How long a publish waits for JetStream's ack, retried, before UNAVAILABLE",
            100, HOUR_MS, BrokerConfig::natsPublishTimeoutMs, BrokerConfig::natsPublishTimeoutMs),
        powerOfTwo("nats-max-pending", "Publishes awaiting JetStream's ack before publishers are back-pressured", 16,
            1 << 20, BrokerConfig::natsMaxPending, (c, v) -> c.natsMaxPending(v.intValue())),
        number("nats-warm-events", "Latest stream events a starting node loads into its history", 0, 1L << 32,
            BrokerConfig::natsWarmEvents, BrokerConfig::natsWarmEvents),
        number("shutdown-timeout-ms", "Graceful shutdown deadline", 0, HOUR_MS,
            BrokerConfig::shutdownTimeoutMs, BrokerConfig::shutdownTimeoutMs),
        number("drain-ms", "At shutdown, end the streams gradually over this long (0 = all at once)", 0, HOUR_MS,
            BrokerConfig::drainMs, BrokerConfig::drainMs),
        choice("log-format", "Log lines as text, or as one JSON object per line", List.of("text", "json"),
            BrokerConfig::logFormat, BrokerConfig::logFormat),
        choice("log-level", "Least severe level logged", List.of("error", "warn", "info", "debug", "trace"),
            BrokerConfig::logLevel, BrokerConfig::logLevel),
        bool("demo", "Publish a built-in ticker feed", BrokerConfig::demo, BrokerConfig::demo),
        number("demo-interval-ms", "Demo update interval per topic", 1, HOUR_MS,
            BrokerConfig::demoIntervalMs, BrokerConfig::demoIntervalMs));

    private static final Map<String, Setting> BY_NAME = index();

    private Settings()
    {
    }

    /**
     * @param name a setting's name (also its file key).
     * @return the setting, or null.
     */
    public static Setting named(final String name)
    {
        return BY_NAME.get(name);
    }

    private static Map<String, Setting> index()
    {
        final Map<String, Setting> byName = new LinkedHashMap<>();
        for (final Setting setting : ALL)
        {
            if (null != byName.put(setting.name(), setting))
            {
                throw new IllegalStateException("two settings named " + setting.name());
            }
        }
        return byName;
    }
}

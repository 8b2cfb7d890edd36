package io.ssebroker.server.config;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.ssebroker.engine.EngineConfig;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Every setting of a broker, with defaults suitable for a single node. Mutable while being built,
 * then checked by {@link #validate()}; the {@code Broker} reads it once at start.
 * <p>
 * <b>Threading:</b> build on one thread, then treat as read-only.
 */
public final class BrokerConfig
{
    String host = "127.0.0.1";
    int httpPort = 8080;
    int ingestPort = 7070;
    int eventLoops = Runtime.getRuntime().availableProcessors();
    int ingestRingBytes = 16 * 1024 * 1024;
    int logCapacity = 64 * 1024;
    int historyCount = 1000;
    long historyBytes = 4L * 1024 * 1024;
    long historyBudgetBytes = 512L * 1024 * 1024;
    List<String> conflatePrefixes = new ArrayList<>();
    int maxTopics = 100_000;
    int maxTopicsPerStream = 1024;
    int maxDataBytes = 1024 * 1024;
    int maxInFlight = 4096;
    int dedupWindowEvents = 8192;
    long dedupWindowMs = 120_000;
    int dedupMaxPublishers = 1024;
    int maxConnections = 100_000;
    int maxConnectionsPerAddress;
    long retryMs = 3000;
    long heartbeatMs = 15_000;
    long flushLingerUs = 500;
    long writeLingerUs = 0;
    int subscriberBufferBytes = 256 * 1024;
    int socketSendBufferBytes = 128 * 1024;
    long slowGraceMs = 10_000;
    List<String> corsOrigins = new ArrayList<>(List.of("*"));
    long requestTimeoutMs = 10_000;
    long handshakeTimeoutMs = 10_000;
    long frameTimeoutMs = 30_000;
    long shutdownTimeoutMs = 10_000;
    long drainMs;
    String ingestToken;
    int sequencerBatch = 4096;
    int fanOutBatch = 8192;
    ByteBufAllocator allocator;
    UnaryOperator<IoHandlerFactory> ioHandlers = UnaryOperator.identity();
    String transport = "epoll";
    int tlsPort = -1;
    String tlsCertFile;
    String tlsKeyFile;
    boolean tlsSelfSigned;
    String tlsProvider = "auto";
    int http2MaxConcurrentStreams = 1000;
    int http2MaxHeaderListBytes = 64 * 1024;
    int http2ConnectionBufferBytes = 4 * 1024 * 1024;
    String jwtSecretFile;
    String jwtPublicKeyFile;
    String jwtCookieName = "access_token";
    long jwtReloadMs = 5000;
    String logFormat = "text";
    String logLevel = "info";
    boolean demo;
    long demoIntervalMs = 250;
    String natsUrl;
    String natsStream = "sse";
    long natsMaxAgeMs = 24L * 3_600_000;
    long natsMaxEvents = 10_000_000;
    long natsMaxBytes = 1L << 30;
    long natsReplicas = 1;
    long natsPublishTimeoutMs = 10_000;
    int natsMaxPending = 8192;
    long natsWarmEvents = 100_000;

    public static BrokerConfig defaults()
    {
        return new BrokerConfig();
    }

    public BrokerConfig host(final String host)
    {
        this.host = host;
        return this;
    }

    public BrokerConfig httpPort(final int port)
    {
        this.httpPort = port;
        return this;
    }

    public BrokerConfig ingestPort(final int port)
    {
        this.ingestPort = port;
        return this;
    }

    public BrokerConfig eventLoops(final int eventLoops)
    {
        this.eventLoops = eventLoops;
        return this;
    }

    public BrokerConfig ingestRingBytes(final int bytes)
    {
        this.ingestRingBytes = bytes;
        return this;
    }

    public BrokerConfig logCapacity(final int entries)
    {
        this.logCapacity = entries;
        return this;
    }

    public BrokerConfig historyCount(final int count)
    {
        this.historyCount = count;
        return this;
    }

    public BrokerConfig historyBytes(final long bytes)
    {
        this.historyBytes = bytes;
        return this;
    }

    public BrokerConfig historyBudgetBytes(final long bytes)
    {
        this.historyBudgetBytes = bytes;
        return this;
    }

    public BrokerConfig conflatePrefixes(final List<String> prefixes)
    {
        this.conflatePrefixes = new ArrayList<>(prefixes);
        return this;
    }

    public BrokerConfig maxTopics(final int maxTopics)
    {
        this.maxTopics = maxTopics;
        return this;
    }

    public BrokerConfig maxTopicsPerStream(final int max)
    {
        this.maxTopicsPerStream = max;
        return this;
    }

    public BrokerConfig maxDataBytes(final int bytes)
    {
        this.maxDataBytes = bytes;
        return this;
    }

    public BrokerConfig maxInFlight(final int maxInFlight)
    {
        this.maxInFlight = maxInFlight;
        return this;
    }

    public int dedupWindowEvents()
    {
        return dedupWindowEvents;
    }

    public long dedupWindowMs()
    {
        return dedupWindowMs;
    }

    public int dedupMaxPublishers()
    {
        return dedupMaxPublishers;
    }

    public BrokerConfig retryMs(final long retryMs)
    {
        this.retryMs = retryMs;
        return this;
    }

    public BrokerConfig flushLingerUs(final long lingerUs)
    {
        this.flushLingerUs = lingerUs;
        return this;
    }

    public long flushLingerUs()
    {
        return flushLingerUs;
    }

    public BrokerConfig writeLingerUs(final long lingerUs)
    {
        this.writeLingerUs = lingerUs;
        return this;
    }

    public long writeLingerUs()
    {
        return writeLingerUs;
    }

    public BrokerConfig heartbeatMs(final long heartbeatMs)
    {
        this.heartbeatMs = heartbeatMs;
        return this;
    }

    public BrokerConfig subscriberBufferBytes(final int bytes)
    {
        this.subscriberBufferBytes = bytes;
        return this;
    }

    /**
     * Kernel send buffer of each HTTP connection (SO_SNDBUF); 0 keeps the kernel's auto-tuning.
     * A fixed value bounds kernel memory per subscriber and makes a stalled reader visible sooner: with
     * auto-tuning a reader that stops can make the kernel hold megabytes for it (up to {@code tcp_wmem}'s
     * maximum, 4 MiB by default) before the broker sees it as slow. Linux doubles the value it is given
     * for its own bookkeeping; docs/reliability.md has the memory it comes to per stalled subscriber.
     */
    public BrokerConfig socketSendBufferBytes(final int bytes)
    {
        this.socketSendBufferBytes = bytes;
        return this;
    }

    public BrokerConfig slowGraceMs(final long graceMs)
    {
        this.slowGraceMs = graceMs;
        return this;
    }

    public BrokerConfig corsOrigins(final List<String> origins)
    {
        this.corsOrigins = new ArrayList<>(origins);
        return this;
    }

    public BrokerConfig maxConnections(final int total)
    {
        this.maxConnections = total;
        return this;
    }

    public int maxConnections()
    {
        return maxConnections;
    }

    public int maxConnectionsPerAddress()
    {
        return maxConnectionsPerAddress;
    }

    public BrokerConfig requestTimeoutMs(final long timeoutMs)
    {
        this.requestTimeoutMs = timeoutMs;
        return this;
    }

    public BrokerConfig handshakeTimeoutMs(final long timeoutMs)
    {
        this.handshakeTimeoutMs = timeoutMs;
        return this;
    }

    public BrokerConfig frameTimeoutMs(final long timeoutMs)
    {
        this.frameTimeoutMs = timeoutMs;
        return this;
    }

    public BrokerConfig shutdownTimeoutMs(final long timeoutMs)
    {
        this.shutdownTimeoutMs = timeoutMs;
        return this;
    }

    /**
     * How long shutdown spends ending the streams a few at a time, before the rest of it; 0 (the default) ends them
     * all at once. Spread out, the reconnects arrive at the other nodes at a rate they absorb.
     */
    public BrokerConfig drainMs(final long drainMs)
    {
        this.drainMs = drainMs;
        return this;
    }

    /**
     * The TLS port (HTTP/1.1 and h2 by ALPN), or -1 for none (the default); 0 picks a free port.
     */
    public BrokerConfig tlsPort(final int port)
    {
        this.tlsPort = port;
        return this;
    }

    /**
     * Generate a self-signed certificate for the TLS port at start-up (development only).
     */
    public BrokerConfig tlsSelfSigned(final boolean selfSigned)
    {
        this.tlsSelfSigned = selfSigned;
        return this;
    }

    /**
     * {@code auto} (OpenSSL where it loads, else the JDK), {@code openssl} or {@code jdk}.
     */
    public BrokerConfig tlsProvider(final String provider)
    {
        this.tlsProvider = provider;
        return this;
    }

    /**
     * The allocator of every buffer the broker makes (frames, responses, socket reads); default
     * Netty's pooled allocator. For embedding and for tests that count allocations.
     */
    public BrokerConfig allocator(final ByteBufAllocator allocator)
    {
        this.allocator = allocator;
        return this;
    }

    public ByteBufAllocator allocator()
    {
        return allocator;
    }

    /**
     * Wraps the transport's I/O handlers of every event loop: for tests that add Netty's local transport to the
     * broker's own loops. Default: unchanged.
     */
    public BrokerConfig ioHandlers(final UnaryOperator<IoHandlerFactory> wrap)
    {
        this.ioHandlers = wrap;
        return this;
    }

    public UnaryOperator<IoHandlerFactory> ioHandlers()
    {
        return ioHandlers;
    }

    public BrokerConfig transport(final String transport)
    {
        this.transport = transport;
        return this;
    }

    public String transport()
    {
        return transport;
    }

    public int tlsPort()
    {
        return tlsPort;
    }

    public String tlsCertFile()
    {
        return tlsCertFile;
    }

    public String tlsKeyFile()
    {
        return tlsKeyFile;
    }

    public boolean tlsSelfSigned()
    {
        return tlsSelfSigned;
    }

    public String tlsProvider()
    {
        return tlsProvider;
    }

    /**
     * Streams (subscriptions and publishes) one HTTP/2 connection may have open at once.
     */
    public BrokerConfig http2MaxConcurrentStreams(final int streams)
    {
        this.http2MaxConcurrentStreams = streams;
        return this;
    }

    /**
     * Largest request header block an HTTP/2 client may send (SETTINGS_MAX_HEADER_LIST_SIZE); a
     * 256-topic {@code :path} needs about 12 KiB.
     */
    public BrokerConfig http2MaxHeaderListBytes(final int bytes)
    {
        this.http2MaxHeaderListBytes = bytes;
        return this;
    }

    /**
     * Outbound bytes an HTTP/2 connection may queue in the broker (its write-buffer high-water mark);
     * shared by all its streams, which each also stop at their flow-control window.
     */
    public BrokerConfig http2ConnectionBufferBytes(final int bytes)
    {
        this.http2ConnectionBufferBytes = bytes;
        return this;
    }

    public int http2MaxConcurrentStreams()
    {
        return http2MaxConcurrentStreams;
    }

    public int http2MaxHeaderListBytes()
    {
        return http2MaxHeaderListBytes;
    }

    public int http2ConnectionBufferBytes()
    {
        return http2ConnectionBufferBytes;
    }

    public int subscriberBufferBytes()
    {
        return subscriberBufferBytes;
    }

    public long slowGraceMs()
    {
        return slowGraceMs;
    }

    public BrokerConfig ingestToken(final String token)
    {
        this.ingestToken = token;
        return this;
    }

    public String host()
    {
        return host;
    }

    public long handshakeTimeoutMs()
    {
        return handshakeTimeoutMs;
    }

    public long frameTimeoutMs()
    {
        return frameTimeoutMs;
    }

    public String ingestToken()
    {
        return ingestToken;
    }

    public int maxTopicsPerStream()
    {
        return maxTopicsPerStream;
    }

    public long retryMs()
    {
        return retryMs;
    }

    public long requestTimeoutMs()
    {
        return requestTimeoutMs;
    }

    public int httpPort()
    {
        return httpPort;
    }

    public int ingestPort()
    {
        return ingestPort;
    }

    public long shutdownTimeoutMs()
    {
        return shutdownTimeoutMs;
    }

    public long drainMs()
    {
        return drainMs;
    }

    public List<String> corsOrigins()
    {
        return Collections.unmodifiableList(corsOrigins);
    }

    public int maxDataBytes()
    {
        return maxDataBytes;
    }

    public int maxInFlight()
    {
        return maxInFlight;
    }

    /**
     * Largest ingest frame: a publish with maximum-size data plus its header fields.
     */
    public int maxFrameBytes()
    {
        return maxDataBytes + 512;
    }

    /**
     * @return true when the topic's name starts with a configured conflation prefix.
     */
    public boolean isConflated(final String topic)
    {
        for (final String prefix : conflatePrefixes)
        {
            if (topic.startsWith(prefix))
            {
                return true;
            }
        }
        return false;
    }

    public int eventLoops()
    {
        return eventLoops;
    }

    public int ingestRingBytes()
    {
        return ingestRingBytes;
    }

    public int logCapacity()
    {
        return logCapacity;
    }

    public int historyCount()
    {
        return historyCount;
    }

    public long historyBytes()
    {
        return historyBytes;
    }

    public long historyBudgetBytes()
    {
        return historyBudgetBytes;
    }

    public List<String> conflatePrefixes()
    {
        return Collections.unmodifiableList(conflatePrefixes);
    }

    public int maxTopics()
    {
        return maxTopics;
    }

    public BrokerConfig dedupWindowEvents(final int dedupWindowEvents)
    {
        this.dedupWindowEvents = dedupWindowEvents;
        return this;
    }

    public BrokerConfig dedupWindowMs(final long dedupWindowMs)
    {
        this.dedupWindowMs = dedupWindowMs;
        return this;
    }

    public BrokerConfig dedupMaxPublishers(final int dedupMaxPublishers)
    {
        this.dedupMaxPublishers = dedupMaxPublishers;
        return this;
    }

    public BrokerConfig maxConnectionsPerAddress(final int maxConnectionsPerAddress)
    {
        this.maxConnectionsPerAddress = maxConnectionsPerAddress;
        return this;
    }

    public long heartbeatMs()
    {
        return heartbeatMs;
    }

    public int socketSendBufferBytes()
    {
        return socketSendBufferBytes;
    }

    public int sequencerBatch()
    {
        return sequencerBatch;
    }

    public BrokerConfig sequencerBatch(final int sequencerBatch)
    {
        this.sequencerBatch = sequencerBatch;
        return this;
    }

    public int fanOutBatch()
    {
        return fanOutBatch;
    }

    public BrokerConfig fanOutBatch(final int fanOutBatch)
    {
        this.fanOutBatch = fanOutBatch;
        return this;
    }

    public BrokerConfig tlsCertFile(final String tlsCertFile)
    {
        this.tlsCertFile = tlsCertFile;
        return this;
    }

    public BrokerConfig tlsKeyFile(final String tlsKeyFile)
    {
        this.tlsKeyFile = tlsKeyFile;
        return this;
    }

    public String jwtSecretFile()
    {
        return jwtSecretFile;
    }

    /**
     * HS256 secret for JWT authentication; with it (or {@link #jwtPublicKeyFile(String)}) every subscribe and
     * publish needs a token.
     */
    public BrokerConfig jwtSecretFile(final String file)
    {
        this.jwtSecretFile = file;
        return this;
    }

    public String jwtPublicKeyFile()
    {
        return jwtPublicKeyFile;
    }

    /**
     * PEM public key (RSA or EC) or JWKS document for JWT authentication.
     */
    public BrokerConfig jwtPublicKeyFile(final String file)
    {
        this.jwtPublicKeyFile = file;
        return this;
    }

    public long jwtReloadMs()
    {
        return jwtReloadMs;
    }

    /**
     * How often {@link #jwtSecretFile(String)} and {@link #jwtPublicKeyFile(String)} are checked for changes (their
     * modification time, size and file key) and read again; 0 reads them once at start.
     */
    public BrokerConfig jwtReloadMs(final long intervalMs)
    {
        this.jwtReloadMs = intervalMs;
        return this;
    }

    public String jwtCookieName()
    {
        return jwtCookieName;
    }

    public BrokerConfig jwtCookieName(final String name)
    {
        this.jwtCookieName = name;
        return this;
    }

    public String logFormat()
    {
        return logFormat;
    }

    public BrokerConfig logFormat(final String format)
    {
        this.logFormat = format;
        return this;
    }

    public String logLevel()
    {
        return logLevel;
    }

    public BrokerConfig logLevel(final String level)
    {
        this.logLevel = level;
        return this;
    }

    public boolean demo()
    {
        return demo;
    }

    public BrokerConfig demo(final boolean demo)
    {
        this.demo = demo;
        return this;
    }

    public long demoIntervalMs()
    {
        return demoIntervalMs;
    }

    public BrokerConfig demoIntervalMs(final long demoIntervalMs)
    {
        this.demoIntervalMs = demoIntervalMs;
        return this;
    }

    /**
     * @return the engine's part of this configuration.
     */
    public String natsUrl()
    {
        return natsUrl;
    }

    public BrokerConfig natsUrl(final String url)
    {
        this.natsUrl = url;
        return this;
    }

    public String natsStream()
    {
        return natsStream;
    }

    public BrokerConfig natsStream(final String name)
    {
        this.natsStream = name;
        return this;
    }

    public long natsMaxAgeMs()
    {
        return natsMaxAgeMs;
    }

    public BrokerConfig natsMaxAgeMs(final long ms)
    {
        this.natsMaxAgeMs = ms;
        return this;
    }

    public long natsMaxEvents()
    {
        return natsMaxEvents;
    }

    public BrokerConfig natsMaxEvents(final long events)
    {
        this.natsMaxEvents = events;
        return this;
    }

    public long natsMaxBytes()
    {
        return natsMaxBytes;
    }

    public BrokerConfig natsMaxBytes(final long bytes)
    {
        this.natsMaxBytes = bytes;
        return this;
    }

    public long natsReplicas()
    {
        return natsReplicas;
    }

    public BrokerConfig natsReplicas(final long replicas)
    {
        this.natsReplicas = replicas;
        return this;
    }

    public long natsPublishTimeoutMs()
    {
        return natsPublishTimeoutMs;
    }

    public BrokerConfig natsPublishTimeoutMs(final long ms)
    {
        this.natsPublishTimeoutMs = ms;
        return this;
    }

    public int natsMaxPending()
    {
        return natsMaxPending;
    }

    public BrokerConfig natsMaxPending(final int publishes)
    {
        this.natsMaxPending = publishes;
        return this;
    }

    public long natsWarmEvents()
    {
        return natsWarmEvents;
    }

    public BrokerConfig natsWarmEvents(final long events)
    {
        this.natsWarmEvents = events;
        return this;
    }

    public EngineConfig engineConfig()
    {
        return new EngineConfig(
            ingestRingBytes,
            logCapacity,
            historyCount,
            historyBytes,
            historyBudgetBytes,
            maxTopics,
            this::isConflated,
            dedupWindowEvents,
            dedupWindowMs,
            dedupMaxPublishers,
            sequencerBatch,
            fanOutBatch,
            slowGraceMs,
            heartbeatMs,
            retryMs,
            TimeUnit.MICROSECONDS.toNanos(flushLingerUs),
            TimeUnit.MICROSECONDS.toNanos(writeLingerUs));
    }

    /**
     * Fails fast with a message naming the setting, its value and the allowed range: each setting's own range
     * ({@link Settings}), then the rules between settings.
     *
     * @return this.
     * @throws IllegalArgumentException naming the first setting that is out of range.
     */
    public BrokerConfig validate()
    {
        for (final Setting setting : Settings.ALL)
        {
            final Object value = setting.get(this);
            try
            {
                if (null != value)
                {
                    setting.check(value);
                }
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException(setting.name() + " " + ex.getMessage() + ", was " + value, ex);
            }
        }
        checkRange("max-data-bytes", maxDataBytes, 16, ingestRingBytes / 16);
        // A publisher resending its whole in-flight window after a reconnect gets every original id back.
        checkRange("dedup-window-events", dedupWindowEvents, maxInFlight, 1 << 22);
        if (tlsPort >= 0)
        {
            final boolean pem = null != tlsCertFile || null != tlsKeyFile;
            if (pem && tlsSelfSigned)
            {
                throw new IllegalArgumentException("tls-cert/tls-key and tls-self-signed exclude each other");
            }
            if (pem && (null == tlsCertFile || null == tlsKeyFile))
            {
                throw new IllegalArgumentException("tls-cert and tls-key must be given together");
            }
            if (!pem && !tlsSelfSigned)
            {
                throw new IllegalArgumentException(
                    "tls-port needs a certificate: tls-cert FILE and tls-key FILE, or tls-self-signed");
            }
        }
        else if (null != tlsCertFile || null != tlsKeyFile || tlsSelfSigned)
        {
            throw new IllegalArgumentException("tls-cert, tls-key and tls-self-signed need tls-port");
        }
        if (corsOrigins.isEmpty())
        {
            throw new IllegalArgumentException("cors-origin must name at least one origin or *");
        }
        if (corsOrigins.contains("*") && corsOrigins.size() > 1)
        {
            throw new IllegalArgumentException("cors-origin must be either * or a list of origins, was " + corsOrigins);
        }
        return this;
    }

    private static void checkRange(final String name, final long value, final long min, final long max)
    {
        if (value < min || value > max)
        {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", was " + value);
        }
    }
}

package io.ssebroker.server;

import io.ssebroker.server.demo.DemoFeed;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code serve}: runs a broker until SIGTERM or SIGINT, then shuts down gracefully.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the broker.")
final class ServeCommand implements Callable<Integer>
{
    /** The one place defaults live: every option starts from it, and help shows its values. */
    private static final BrokerConfig D = BrokerConfig.defaults();

    @Option(names = "--host", description = "Address to bind (default ${DEFAULT-VALUE}).")
    String host = D.host;

    @Option(names = "--http-port", description = "HTTP port (default ${DEFAULT-VALUE}).")
    int httpPort = D.httpPort;

    @Option(names = "--ingest-port", description = "TCP ingest port (default ${DEFAULT-VALUE}).")
    int ingestPort = D.ingestPort;

    @Option(names = "--event-loops", description = "Event loop threads (default: cores).")
    Integer eventLoops;

    @Option(names = "--history-count", description = "Events retained per topic (default ${DEFAULT-VALUE}).")
    int historyCount = D.historyCount;

    @Option(names = "--history-bytes", description = "Frame bytes retained per topic (default ${DEFAULT-VALUE}).")
    long historyBytes = D.historyBytes;

    @Option(names = "--history-budget-bytes", description = "Frame bytes retained in total (default ${DEFAULT-VALUE}).")
    long historyBudgetBytes = D.historyBudgetBytes;

    @Option(names = "--conflate-prefix", description = "Topics with this prefix conflate slow subscribers (repeatable).")
    List<String> conflatePrefixes = new ArrayList<>();

    @Option(names = "--max-data-bytes", description = "Largest event data (default ${DEFAULT-VALUE}).")
    int maxDataBytes = D.maxDataBytes;

    @Option(names = "--retry-ms", description = "retry: sent at stream start (default ${DEFAULT-VALUE}).")
    long retryMs = D.retryMs;

    @Option(names = "--heartbeat-ms", description = "Comment heartbeat on idle streams (default ${DEFAULT-VALUE}).")
    long heartbeatMs = D.heartbeatMs;

    @Option(names = "--subscriber-buffer-bytes",
        description = "Outbound bytes a subscriber may have queued before it counts as slow (default ${DEFAULT-VALUE}).")
    int subscriberBufferBytes = D.subscriberBufferBytes;

    @Option(names = "--socket-send-buffer-bytes",
        description = "SO_SNDBUF of HTTP connections, bounding what the kernel holds for a stalled reader; 0 = auto-tuning (default ${DEFAULT-VALUE}).")
    int socketSendBufferBytes = D.socketSendBufferBytes;

    @Option(names = "--slow-grace-ms", description = "How long a subscriber may stay slow before eviction (default ${DEFAULT-VALUE}).")
    long slowGraceMs = D.slowGraceMs;

    @Option(names = "--cors-origin", description = "Allowed origin (repeatable); default * (no credentials).")
    List<String> corsOrigins = new ArrayList<>();

    @Option(names = "--ingest-token", description = "Token publishers must present in HELLO.")
    String ingestToken;

    @Option(names = "--dedup-window-events",
        description = "Publishes remembered per publisher id (and idempotency keys in all) to answer resends (default ${DEFAULT-VALUE}).")
    int dedupWindowEvents = D.dedupWindowEvents;

    @Option(names = "--dedup-window-ms",
        description = "Longest time a publish is remembered to answer a resend (default ${DEFAULT-VALUE}).")
    long dedupWindowMs = D.dedupWindowMs;

    @Option(names = "--dedup-max-publishers",
        description = "Publisher ids remembered at once (default ${DEFAULT-VALUE}).")
    int dedupMaxPublishers = D.dedupMaxPublishers;

    @Option(names = "--max-connections",
        description = "Connections over every port, 0 for no limit (default ${DEFAULT-VALUE}).")
    int maxConnections = D.maxConnections;

    @Option(names = "--max-connections-per-address",
        description = "Connections from one source address, 0 for no limit (default ${DEFAULT-VALUE}).")
    int maxConnectionsPerAddress = D.maxConnectionsPerAddress;

    @Option(names = "--shutdown-timeout-ms", description = "Graceful shutdown deadline (default ${DEFAULT-VALUE}).")
    long shutdownTimeoutMs = D.shutdownTimeoutMs;

    @Option(names = "--max-topics", description = "Distinct topics the broker accepts (default ${DEFAULT-VALUE}).")
    int maxTopics = D.maxTopics;

    @Option(names = "--max-topics-per-stream", description = "Topics one stream may subscribe to (default ${DEFAULT-VALUE}).")
    int maxTopicsPerStream = D.maxTopicsPerStream;

    @Option(names = "--request-timeout-ms",
        description = "A request must arrive completely within this time (default ${DEFAULT-VALUE}).")
    long requestTimeoutMs = D.requestTimeoutMs;

    @Option(names = "--tls-port", description = "TLS port serving HTTP/1.1 and h2 (ALPN); off unless given.")
    Integer tlsPort;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "PEM certificate chain for --tls-port.")
    String tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM (PKCS#8) private key for --tls-port.")
    String tlsKey;

    @Option(names = "--tls-self-signed",
        description = "Generate a self-signed certificate for --tls-port at start-up (development only).")
    boolean tlsSelfSigned;

    @Option(names = "--tls-provider",
        description = "auto (OpenSSL/BoringSSL where it loads, else the JDK), openssl or jdk (default ${DEFAULT-VALUE}).")
    String tlsProvider = D.tlsProvider;

    @Option(names = "--h2-max-concurrent-streams",
        description = "Streams one HTTP/2 connection may have open at once (default ${DEFAULT-VALUE}).")
    int h2MaxConcurrentStreams = D.http2MaxConcurrentStreams;

    @Option(names = "--demo", description = "Publish a built-in ticker feed.")
    boolean demo;

    @Option(names = "--demo-interval-ms", description = "Demo update interval per topic (default ${DEFAULT-VALUE}).")
    long demoIntervalMs = 250;

    @Override
    public Integer call() throws Exception
    {
        final BrokerConfig config = BrokerConfig.defaults()
            .host(host)
            .httpPort(httpPort)
            .ingestPort(ingestPort)
            .historyCount(historyCount)
            .historyBytes(historyBytes)
            .historyBudgetBytes(historyBudgetBytes)
            .conflatePrefixes(conflatePrefixes)
            .maxDataBytes(maxDataBytes)
            .retryMs(retryMs)
            .heartbeatMs(heartbeatMs)
            .subscriberBufferBytes(subscriberBufferBytes)
            .slowGraceMs(slowGraceMs)
            .socketSendBufferBytes(socketSendBufferBytes)
            .shutdownTimeoutMs(shutdownTimeoutMs)
            .maxTopics(maxTopics)
            .maxTopicsPerStream(maxTopicsPerStream)
            .requestTimeoutMs(requestTimeoutMs)
            .ingestToken(ingestToken)
            .dedupWindow(dedupWindowEvents, dedupWindowMs, dedupMaxPublishers)
            .maxConnections(maxConnections, maxConnectionsPerAddress)
            .tlsPem(tlsCert, tlsKey)
            .tlsSelfSigned(tlsSelfSigned)
            .tlsProvider(tlsProvider)
            .http2MaxConcurrentStreams(h2MaxConcurrentStreams);
        if (null != tlsPort)
        {
            config.tlsPort(tlsPort);
        }
        if (null != eventLoops)
        {
            config.eventLoops(eventLoops);
        }
        if (!corsOrigins.isEmpty())
        {
            config.corsOrigins(corsOrigins);
        }
        try
        {
            config.validate();
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("invalid configuration: " + ex.getMessage());
            return 2;
        }

        final Broker broker;
        try
        {
            broker = Broker.start(config);
        }
        catch (final IllegalArgumentException ex)
        {
            // A certificate or key that cannot be used: the message names the flag.
            System.err.println("invalid configuration: " + ex.getMessage());
            return 2;
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        final DemoFeed feed = demo ? DemoFeed.start(host, broker.ingestPort(), ingestToken, demoIntervalMs) : null;
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            if (null != feed)
            {
                feed.close();
            }
            broker.close();
            // stdout, not the logger: the logging framework may already have shut down its handlers.
            System.out.println("broker stopped: " + broker.countersLine());
            stopped.countDown();
        }, "shutdown"));

        final String base = "http://" + host + ":" + broker.httpPort();
        System.out.println();
        System.out.println("SSE broker running. HTTP " + base + "  ingest tcp://" + host + ":" + broker.ingestPort());
        if (demo)
        {
            System.out.println("Demo feed: topics " + String.join(", ", DemoFeed.TOPICS) + " (event: quote)");
            System.out.println();
            System.out.println("  watch a ticker:   curl -N '" + base + "/events?topic=ticker.AAPL'");
            System.out.println("  several at once:  curl -N '" + base + "/events?topic=ticker.AAPL&topic=ticker.MSFT'");
        }
        else
        {
            System.out.println();
            System.out.println("  subscribe:        curl -N '" + base + "/events?topic=news'");
        }
        System.out.println("  publish:          curl -d topic=news -d 'data=hello' " + base + "/publish");
        System.out.println("  resume after id:  curl -N -H 'Last-Event-ID: <id>' '" + base + "/events?topic=news'");
        if (broker.tlsPort() >= 0)
        {
            System.out.println("  over TLS (h2):    curl -N" + (tlsSelfSigned ? "k" : "") + " 'https://" + host + ":" +
                broker.tlsPort() + "/events?topic=news'");
        }
        System.out.println("Stop with Ctrl-C (SIGTERM/SIGINT shut down gracefully).");
        System.out.println();
        stopped.await();
        return 0;
    }
}

package io.ssebroker.server.testing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import io.ssebroker.client.IngestClient;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * In-process cluster nodes on one real nats-server, for the cluster tests. As a JUnit extension
 * ({@code @RegisterExtension final ClusterNodes cluster = new ClusterNodes();}) it starts the server before each test
 * and afterwards closes the nodes, publishers and streams opened through it, newest first, then the server.
 * <p>
 * <b>Threading:</b> one test thread.
 */
public final class ClusterNodes implements BeforeEachCallback, AfterEachCallback
{
    private final List<AutoCloseable> opened = new ArrayList<>();
    private NatsServer nats;

    @Override
    public void beforeEach(final ExtensionContext context) throws IOException
    {
        nats = NatsServer.start();
    }

    @Override
    public void afterEach(final ExtensionContext context) throws Exception
    {
        try
        {
            closeOpened();
        }
        finally
        {
            nats.close();
        }
    }

    public NatsServer nats()
    {
        return nats;
    }

    /** A node with the defaults (ports picked, a 30 s JetStream publish timeout), ready. */
    public Broker node() throws InterruptedException
    {
        return node(config -> config);
    }

    /** A node with the defaults changed by {@code settings}, ready. */
    public Broker node(final UnaryOperator<BrokerConfig> settings) throws InterruptedException
    {
        final Broker broker = Broker.start(settings.apply(BrokerConfig.defaults().httpPort(0).ingestPort(0)
            .natsUrl(nats.url()).natsPublishTimeoutMs(30_000)));
        opened.add(broker);
        Await.until("node ready", broker::isReady);
        return broker;
    }

    /** An ingest publisher connected to the node. */
    public IngestClient publisher(final Broker broker, final String name) throws Exception
    {
        final IngestClient client = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", name);
        opened.add(client);
        return client;
    }

    /** {@code GET /events?QUERY} on the node, with extra header lines. */
    public SseStream subscribe(final Broker broker, final String query, final String... headers) throws Exception
    {
        final SseStream stream = SseStream.open(broker.httpPort(), "/events?" + query, headers);
        opened.add(stream);
        return stream;
    }

    /** Closes every node, publisher and stream opened so far, newest first; the nats-server goes on. */
    public void closeOpened() throws Exception
    {
        for (int i = opened.size() - 1; i >= 0; i--)
        {
            opened.remove(i).close();
        }
    }
}

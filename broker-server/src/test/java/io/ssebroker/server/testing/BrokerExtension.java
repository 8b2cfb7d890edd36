package io.ssebroker.server.testing;

import java.util.function.UnaryOperator;

import io.ssebroker.client.IngestClient;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real broker on ephemeral loopback ports shared by the tests of one class, and optionally one
 * ingest publisher connected to it: started before all tests, the publisher closed and then the
 * broker after all of them.
 * <p>
 * Register it on a static field, named for the broker, so test bodies read as they would with the
 * broker itself:
 * <pre>{@code
 * @RegisterExtension
 * static final BrokerExtension broker = BrokerExtension.with(config -> config.historyCount(10)).withPublisher("my-test");
 * }</pre>
 * <b>Threading:</b> JUnit's thread for the class; the accessors are valid from before the first test
 * to after the last.
 */
public final class BrokerExtension implements BeforeAllCallback, AfterAllCallback
{
    private final UnaryOperator<BrokerConfig> settings;
    private String publisherName;
    private Broker broker;
    private IngestClient publisher;

    private BrokerExtension(final UnaryOperator<BrokerConfig> settings)
    {
        this.settings = settings;
    }

    /**
     * A broker with the default configuration.
     */
    public static BrokerExtension withDefaults()
    {
        return new BrokerExtension(UnaryOperator.identity());
    }

    /**
     * A broker on ephemeral ports with the default configuration changed by {@code settings}.
     */
    public static BrokerExtension with(final UnaryOperator<BrokerConfig> settings)
    {
        return new BrokerExtension(settings);
    }

    /**
     * Also connects an {@link IngestClient} named {@code name}, without a token, once the broker runs.
     */
    public BrokerExtension withPublisher(final String name)
    {
        publisherName = name;
        return this;
    }

    @Override
    public void beforeAll(final ExtensionContext context) throws InterruptedException
    {
        broker = Broker.start(settings.apply(
            BrokerConfig.defaults().httpPort(0).ingestPort(0).ioHandlers(WithLocalTransport::alongside)));
        if (null != publisherName)
        {
            publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", publisherName);
        }
    }

    @Override
    public void afterAll(final ExtensionContext context)
    {
        if (null != publisher)
        {
            publisher.close();
        }
        if (null != broker)
        {
            broker.close();
        }
    }

    public Broker broker()
    {
        return broker;
    }

    /**
     * @return the publisher asked for with {@link #withPublisher}.
     */
    public IngestClient publisher()
    {
        return publisher;
    }

    public int httpPort()
    {
        return broker.httpPort();
    }

    public int ingestPort()
    {
        return broker.ingestPort();
    }

    public long epochId()
    {
        return broker.epochId();
    }

    public BrokerCounters counters()
    {
        return broker.counters();
    }
}

package io.ssebroker.server.testing;

import java.io.IOException;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A fresh {@link ServingProbe} on a {@link BrokerExtension}'s broker for every test: opened before
 * the test, so its stream predates the bad input, and closed after it. Register it on an instance
 * field.
 * <p>
 * <b>Threading:</b> the test thread.
 */
public final class ServingProbeExtension implements BeforeEachCallback, AfterEachCallback
{
    private final BrokerExtension broker;
    private ServingProbe probe;

    public ServingProbeExtension(final BrokerExtension broker)
    {
        this.broker = broker;
    }

    @Override
    public void beforeEach(final ExtensionContext context) throws IOException
    {
        probe = ServingProbe.open(broker.httpPort(), broker.ingestPort());
    }

    @Override
    public void afterEach(final ExtensionContext context) throws IOException
    {
        probe.close();
    }

    /**
     * @see ServingProbe#assertStillServing()
     */
    public void assertStillServing() throws IOException
    {
        probe.assertStillServing();
    }
}

package io.ssebroker.server.testing;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A healthy HTTP/2 subscriber on a connection of its own, opened before a test attacks or confuses
 * the broker on another connection: the HTTP/2 counterpart of {@link ServingProbe}. It proves the
 * damage stayed with the connection that caused it by receiving, in order and exactly, every event
 * published on its topic.
 * <p>
 * <b>Threading:</b> the test thread.
 */
public final class H2cWitness implements AutoCloseable
{
    private static final AtomicInteger TOPICS = new AtomicInteger();

    private final int httpPort;
    private final String topic;
    private final H2cTestClient client;
    private final int streamId;
    private final StringBuilder expected = new StringBuilder(H2cTestClient.PREAMBLE);

    private H2cWitness(final int httpPort, final String topic, final H2cTestClient client, final int streamId)
    {
        this.httpPort = httpPort;
        this.topic = topic;
        this.client = client;
        this.streamId = streamId;
    }

    /**
     * Subscribes over a new h2c connection and waits for the preamble, which the broker sends once
     * the subscription is registered.
     */
    public static H2cWitness open(final int httpPort) throws InterruptedException
    {
        final String topic = "h2-witness-" + TOPICS.incrementAndGet();
        final H2cTestClient client = H2cTestClient.connect(httpPort);
        try
        {
            final int streamId = client.get("/events?topic=" + topic);
            assertEquals(H2cTestClient.PREAMBLE, client.awaitText(streamId, H2cTestClient.PREAMBLE),
                "witness stream preamble");
            return new H2cWitness(httpPort, topic, client, streamId);
        }
        catch (final RuntimeException | Error ex)
        {
            client.close();
            throw ex;
        }
    }

    /**
     * Publishes one event on the witness topic over HTTP/1.1 (not awaited on the stream).
     */
    public long publish(final String data) throws IOException
    {
        final long id = RawHttp.publish(httpPort, topic, data);
        expected.append("id: ").append(id).append("\ndata: ").append(data).append("\n\n");
        return id;
    }

    /**
     * Asserts the stream has received exactly the preamble and every event published so far, in
     * order, and that its connection is untouched.
     */
    public void assertReceivedAll()
    {
        final String want = expected.toString();
        assertEquals(want, client.awaitText(streamId, want), "witness stream on its own connection");
        assertTrue(client.isOpen(), "witness connection must stay open");
        assertEquals(-1, client.resetCode(streamId), "witness stream must not be reset");
        assertTrue(client.goAways().isEmpty(), "witness connection got " + client.goAways());
    }

    /**
     * Publishes one more event and asserts everything arrived.
     */
    public void assertStillServing(final String data) throws IOException
    {
        publish(data);
        assertReceivedAll();
    }

    @Override
    public void close()
    {
        client.close();
    }
}

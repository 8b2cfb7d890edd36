package io.ssebroker.server.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves a broker still serves everyone else after a bad client: a stream opened before the bad
 * input must receive events published after it, over HTTP and over ingest, with the ids the
 * publishers were given.
 * <p>
 * <b>Threading:</b> the test thread.
 */
public final class ServingProbe implements AutoCloseable
{
    private static final AtomicInteger TOPICS = new AtomicInteger();

    private final int httpPort;
    private final int ingestPort;
    private final String topic;
    private final SseStream stream;
    private int probes;

    private ServingProbe(final int httpPort, final int ingestPort, final String topic, final SseStream stream)
    {
        this.httpPort = httpPort;
        this.ingestPort = ingestPort;
        this.topic = topic;
        this.stream = stream;
    }

    /**
     * Opens the healthy stream on a topic of its own.
     */
    public static ServingProbe open(final int httpPort, final int ingestPort) throws IOException
    {
        final String topic = "probe-" + TOPICS.incrementAndGet();
        return new ServingProbe(httpPort, ingestPort, topic, SseStream.open(httpPort, "/events?topic=" + topic));
    }

    /**
     * Publishes one event over HTTP and one over a new ingest connection, and asserts the healthy
     * stream receives exactly those two next, with the ids the broker answered.
     */
    public void assertStillServing() throws IOException
    {
        final String httpData = "via-http-" + (++probes);
        final long httpId = RawHttp.publish(httpPort, topic, httpData);

        final String ingestData = "via-ingest-" + probes;
        final long ingestId;
        try (IngestWire wire = IngestWire.connect(ingestPort))
        {
            wire.handshake();
            wire.publish(topic, null, ingestData.getBytes(StandardCharsets.UTF_8)).flush();
            final IngestWire.Ack ack = wire.readFrame().asAck();
            assertEquals(1, ack.firstSeq(), "ack of the probe publish");
            assertEquals(1, ack.count(), "ack of the probe publish");
            ingestId = ack.firstId();
        }

        assertEquals(new SseEvent(Long.toString(httpId), null, httpData), stream.nextEvent(),
            "healthy stream after bad input (HTTP publish)");
        assertEquals(new SseEvent(Long.toString(ingestId), null, ingestData), stream.nextEvent(),
            "healthy stream after bad input (ingest publish)");
    }

    @Override
    public void close() throws IOException
    {
        stream.close();
    }
}

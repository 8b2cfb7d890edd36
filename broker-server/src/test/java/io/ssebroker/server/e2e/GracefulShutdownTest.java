package io.ssebroker.server.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.ssebroker.client.IngestClient;
import io.ssebroker.client.IngestErrorCode;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.IngestWire;
import io.ssebroker.server.testing.RawHttpConnection;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Broker#close()} is graceful: streams end with the terminating chunk so clients reconnect
 * elsewhere, publishers get an {@code ACK} for everything the broker took and then
 * {@code ERROR SHUTTING_DOWN}, and every acknowledged event reached the streams first.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GracefulShutdownTest
{
    private Broker broker;

    @BeforeEach
    void startBroker() throws InterruptedException
    {
        broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0));
    }

    @AfterEach
    void stopBroker()
    {
        broker.close();
    }

    @Test
    void shouldEndOpenStreamWithTerminatingChunkOnClose() throws Exception
    {
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=closing");
            IngestClient publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "shutdown-test"))
        {
            final long id = publisher.publish("closing", null, "last words".getBytes(StandardCharsets.UTF_8))
                .get(10, TimeUnit.SECONDS);
            assertEquals(SseStream.chunkOf("id: " + id + "\ndata: last words\n\n"), stream.nextChunkText());

            broker.close();

            assertEquals("0\r\n\r\n", stream.nextChunkText());
            assertTrue(stream.connection().awaitClose(), "stream connection must close after the terminating chunk");
        }
    }

    @Test
    void shouldAcknowledgeEverythingTakenThenSendShuttingDownAndClose() throws Exception
    {
        final int frames = 500;
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=drain");
            IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.handshake();
            final long taken = broker.counters().get(Counter.INGEST_PUBLISHES);
            for (int i = 0; i < frames; i++)
            {
                wire.publish("drain", null, ("n" + i).getBytes(StandardCharsets.UTF_8));
            }
            wire.flush();
            // Close once the broker has taken every frame, acknowledged or not yet.
            Await.until("all frames taken", () -> broker.counters().get(Counter.INGEST_PUBLISHES) == taken + frames);

            broker.close();

            final long[] ids = new long[frames + 1];
            long acknowledgedThrough = 0;
            IngestWire.Frame frame = wire.readFrame();
            while (IngestWire.ACK == frame.type())
            {
                final IngestWire.Ack ack = frame.asAck();
                assertEquals(acknowledgedThrough + 1, ack.firstSeq(), "ACKs must cover consecutive frames in order");
                for (int k = 0; k < ack.count(); k++)
                {
                    ids[(int)ack.firstSeq() + k] = ack.firstId() + k;
                }
                acknowledgedThrough += ack.count();
                frame = wire.readFrame();
            }
            assertEquals(frames, acknowledgedThrough, "every frame taken must be acknowledged before the error");
            assertEquals(new IngestWire.Error(0, 32, frame.asError().message()), frame.asError());
            assertTrue(wire.awaitClose(), "ingest connection must close after SHUTTING_DOWN");

            for (int seq = 1; seq <= frames; seq++)
            {
                assertEquals(SseStream.chunkOf("id: " + ids[seq] + "\ndata: n" + (seq - 1) + "\n\n"), stream.nextChunkText(),
                    "acknowledged event of frame " + seq + " must reach the stream before it ends");
            }
            assertEquals("0\r\n\r\n", stream.nextChunkText());
        }
    }

    @Test
    void shouldAcknowledgeEveryTakenFrameThenSendShuttingDownWhilePublisherKeepsWriting() throws Exception
    {
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=busy");
            IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.handshake();
            final CompletableFuture<List<String>> streamed = CompletableFuture.supplyAsync(() -> readUntilEnd(stream));
            final long takenBefore = broker.counters().get(Counter.INGEST_PUBLISHES);
            final AtomicBoolean stop = new AtomicBoolean();
            final Thread writer = new Thread(() -> writeUntilStopped(wire, stop), "busy-publisher");
            writer.start();
            try
            {
                Await.until("publishing under way", () -> broker.counters().get(Counter.INGEST_PUBLISHES) > takenBefore + 2000);

                broker.close();

                final long taken = broker.counters().get(Counter.INGEST_PUBLISHES) - takenBefore;
                final List<String> expected = new ArrayList<>();
                long acknowledgedThrough = 0;
                IngestWire.Frame frame = wire.readFrame();
                while (IngestWire.ACK == frame.type())
                {
                    final IngestWire.Ack ack = frame.asAck();
                    assertEquals(acknowledgedThrough + 1, ack.firstSeq(), "ACKs must cover consecutive frames in order");
                    for (int k = 0; k < ack.count(); k++)
                    {
                        expected.add(SseStream.chunkOf("id: " + (ack.firstId() + k) + "\ndata: b" + (ack.firstSeq() + k) + "\n\n"));
                    }
                    acknowledgedThrough += ack.count();
                    frame = wire.readFrame();
                }
                assertEquals(taken, acknowledgedThrough, "every frame the broker took must be acknowledged");
                assertEquals(32, frame.asError().code(), frame.asError().message());
                assertEquals(0, frame.asError().seq());

                expected.add("0\r\n\r\n");
                assertEquals(expected, streamed.get(10, TimeUnit.SECONDS),
                    "the stream must carry every acknowledged event, then end");
            }
            finally
            {
                stop.set(true);
                wire.close();
                writer.join(10_000);
            }
        }
    }

    @Test
    void shouldCompleteEveryPublishOfIngestClientThenReportShuttingDown() throws Exception
    {
        try (IngestClient publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "shutdown-client"))
        {
            final List<CompletableFuture<Long>> futures = new ArrayList<>();
            for (int i = 0; i < 200; i++)
            {
                futures.add(publisher.publish("client-drain", null, ("c" + i).getBytes(StandardCharsets.UTF_8)));
            }
            long previous = 0;
            for (final CompletableFuture<Long> future : futures)
            {
                final long id = future.get(10, TimeUnit.SECONDS);
                assertTrue(id > previous);
                previous = id;
            }

            broker.close();

            Await.until("the client sees the connection end", () -> 0 != publisher.closeCode());
            assertEquals(IngestErrorCode.SHUTTING_DOWN, publisher.closeCode());
            assertEquals(IngestClient.CLOSED, publisher.tryPublish("client-drain", null, new byte[] {'x'}, 0, 1));
        }
    }

    @Test
    void shouldStopListeningOnBothPortsOnClose() throws Exception
    {
        final int httpPort = broker.httpPort();
        final int ingestPort = broker.ingestPort();

        broker.close();

        assertThrows(ConnectException.class, () -> RawHttpConnection.open(httpPort).close());
        assertThrows(ConnectException.class, () -> IngestWire.connect(ingestPort).close());
    }

    /**
     * Writes numbered publishes (data {@code b<seq>}) until told to stop or the broker closes.
     */
    private static void writeUntilStopped(final IngestWire wire, final AtomicBoolean stop)
    {
        try
        {
            long seq = 0;
            while (!stop.get())
            {
                for (int i = 0; i < 100; i++)
                {
                    wire.publish("busy", null, ("b" + (++seq)).getBytes(StandardCharsets.UTF_8));
                }
                wire.flush();
            }
        }
        catch (final IOException expected)
        {
            // The broker closed the connection.
        }
    }

    /**
     * @return every chunk of the stream up to and including the terminating one.
     */
    private static List<String> readUntilEnd(final SseStream stream)
    {
        final List<String> chunks = new ArrayList<>();
        try
        {
            String chunk;
            do
            {
                chunk = stream.nextChunkText();
                chunks.add(chunk);
            }
            while (!SseStream.END_CHUNK.equals(chunk));
            return chunks;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("stream failed after " + chunks.size() + " chunks", ex);
        }
    }
}

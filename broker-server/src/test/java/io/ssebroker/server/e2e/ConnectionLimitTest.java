package io.ssebroker.server.e2e;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.ssebroker.metrics.Counter;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.RawHttp;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connection caps, per source address and in total, over the HTTP and ingest ports: a connection
 * over a cap gets a clear refusal before anything is read and is counted; connections already
 * held keep being served; closing one makes room again.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConnectionLimitTest
{
    private static final int PER_ADDRESS = 3;
    private static final int TOTAL = 6;

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.with(config -> config.maxConnections(TOTAL).maxConnectionsPerAddress(PER_ADDRESS));

    @Test
    void shouldRefuseOverEachCapWithAClearAnswerAndKeepServingOthers() throws Exception
    {
        final List<Socket> held = new ArrayList<>();
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=limits"))
        {
            // The stream holds one of 127.0.0.1's three places.
            held.add(connect("127.0.0.1", broker.httpPort()));
            held.add(connect("127.0.0.1", broker.ingestPort()));
            Await.until("three connections counted", () -> 3 == broker.broker().connectionLimits().total());

            final long perAddressBefore = broker.counters().get(Counter.CONNECTIONS_REFUSED_PER_ADDRESS);
            final String refusal = readAll(connect("127.0.0.1", broker.httpPort()));
            assertTrue(refusal.startsWith("HTTP/1.1 503 Service Unavailable\r\n"), refusal);
            assertTrue(refusal.endsWith("too many connections from here; retry later\n"), refusal);
            final DataInputStream ingest = new DataInputStream(connect("127.0.0.1", broker.ingestPort()).getInputStream());
            ingest.readInt();
            assertEquals(0x7F, ingest.readUnsignedByte(), "an ingest ERROR frame");
            assertEquals(0, ingest.readLong());
            assertEquals(2, ingest.readUnsignedShort(), "BAD_HANDSHAKE");
            assertEquals(perAddressBefore + 2, broker.counters().get(Counter.CONNECTIONS_REFUSED_PER_ADDRESS));

            // Another address has places of its own, until the total runs out.
            held.add(connect("127.0.0.2", broker.httpPort()));
            held.add(connect("127.0.0.2", broker.httpPort()));
            held.add(connect("127.0.0.3", broker.ingestPort()));
            Await.until("six connections counted", () -> TOTAL == broker.broker().connectionLimits().total());
            final long totalBefore = broker.counters().get(Counter.CONNECTIONS_REFUSED_TOTAL);
            assertTrue(readAll(connect("127.0.0.4", broker.httpPort())).startsWith("HTTP/1.1 503"));
            assertEquals(totalBefore + 1, broker.counters().get(Counter.CONNECTIONS_REFUSED_TOTAL));

            // The stream held all along still receives.
            final long id = publishFromHeldConnection(held.remove(0));
            assertEquals(id, stream.nextEvent().idAsLong());

            // Closing frees a place.
            held.remove(0).close();
            Await.until("closed connections released", () -> TOTAL - 2 == broker.broker().connectionLimits().total());
            assertEquals(200, RawHttp.get(broker.httpPort(), "/health").status());
        }
        finally
        {
            for (final Socket socket : held)
            {
                socket.close();
            }
        }
    }

    /** Publishes over an already admitted HTTP/1.1 connection and closes it. */
    private static long publishFromHeldConnection(final Socket socket) throws IOException
    {
        final byte[] body = "topic=limits&data=still-served".getBytes(StandardCharsets.US_ASCII);
        socket.getOutputStream().write(("POST /publish HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + body.length + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().write(body);
        final String response = readAll(socket);
        assertTrue(response.startsWith("HTTP/1.1 200"), response);
        return Long.parseLong(response.substring(response.indexOf("\r\n\r\n") + 4).trim());
    }

    private static Socket connect(final String source, final int port) throws IOException
    {
        final Socket socket = new Socket();
        socket.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static String readAll(final Socket socket) throws IOException
    {
        try (socket)
        {
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}

package io.ssebroker.server.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.ssebroker.metrics.Counter;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.RawHttpConnection;
import io.ssebroker.server.testing.RawResponse;
import io.ssebroker.server.testing.ServingProbeExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Slow clients (slow-loris): a request not complete within {@code http.requestTimeoutMs} is answered
 * 408 and its connection closed, while streams, which are past their request, are untouched.
 * <p>
 * Bytes are trickled one per 50 ms read timeout: waiting for the answer is what paces the client.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HttpSlowClientTest
{
    private static final long REQUEST_TIMEOUT_MS = 300;
    private static final int TRICKLE_MS = 50;

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.with(config -> config.requestTimeoutMs(REQUEST_TIMEOUT_MS));

    @RegisterExtension
    final ServingProbeExtension probe = new ServingProbeExtension(broker);

    @Test
    void shouldAnswer408AndCloseWhenHeadersTrickleInSlowerThanRequestTimeout() throws Exception
    {
        final long before = broker.counters().get(Counter.HTTP_REQUEST_TIMEOUT);
        final long startNs = System.nanoTime();
        try (RawHttpConnection connection = RawHttpConnection.open(broker.httpPort()))
        {
            trickleUntilAnswered(connection, "GET /events?topic=slow HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n");
            final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);

            final RawResponse response = connection.readResponse();
            assertEquals(408, response.status(), response.toString());
            assertEquals("request not received completely within " + REQUEST_TIMEOUT_MS + " ms\n", response.bodyText());
            assertTrue(connection.awaitClose(), "connection must be closed after 408");
            assertTrue(elapsedMs >= REQUEST_TIMEOUT_MS, "408 after only " + elapsedMs + " ms");
        }
        assertEquals(before + 1, broker.counters().get(Counter.HTTP_REQUEST_TIMEOUT));
        probe.assertStillServing();
    }

    @Test
    void shouldAnswer408AndCloseWhenPublishBodyTricklesInSlowerThanRequestTimeout() throws Exception
    {
        final long before = broker.counters().get(Counter.HTTP_PUBLISHES);
        try (RawHttpConnection connection = RawHttpConnection.open(broker.httpPort()))
        {
            final String body = "topic=slow&data=" + "x".repeat(100);
            connection.send("POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
                "Content-Length: " + body.length() + "\r\n\r\n");
            trickleUntilAnswered(connection, body);

            final RawResponse response = connection.readResponse();
            assertEquals(408, response.status(), response.toString());
            assertTrue(connection.awaitClose(), "connection must be closed after 408");
        }
        assertEquals(before, broker.counters().get(Counter.HTTP_PUBLISHES), "nothing must be published");
        probe.assertStillServing();
    }

    @Test
    void shouldAnswer408AndCloseWhenConnectionSendsNothing() throws Exception
    {
        final long before = broker.counters().get(Counter.HTTP_REQUEST_TIMEOUT);
        final RawResponse response;
        try (RawHttpConnection idle = RawHttpConnection.open(broker.httpPort()))
        {
            response = idle.readResponse();
            assertEquals(408, response.status(), response.toString());
            assertTrue(idle.awaitClose(), "connection must be closed after 408");
        }
        assertEquals(before + 1, broker.counters().get(Counter.HTTP_REQUEST_TIMEOUT));

        // The silent connection's 408 is written from fixed bytes; one that sent a byte of its request line is
        // answered by the HTTP/1.1 handlers. Both must be the same answer.
        try (RawHttpConnection started = RawHttpConnection.open(broker.httpPort()))
        {
            started.send("G");
            final RawResponse handlers = started.readResponse();
            assertEquals(handlers.head(), response.head());
            assertEquals(handlers.bodyText(), response.bodyText());
            assertEquals("request not received completely within " + REQUEST_TIMEOUT_MS + " ms\n", response.bodyText());
        }
        assertEquals(before + 2, broker.counters().get(Counter.HTTP_REQUEST_TIMEOUT));
        probe.assertStillServing();
    }

    @Test
    void shouldNotTimeOutStreamOpenLongerThanRequestTimeout() throws Exception
    {
        final long openedNs = System.nanoTime();
        // An idle connection is answered 408 once the request timeout passes: a clock that needs no sleep.
        for (int i = 0; i < 2; i++)
        {
            try (RawHttpConnection idle = RawHttpConnection.open(broker.httpPort()))
            {
                assertEquals(408, idle.readResponse().status());
            }
        }
        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - openedNs);
        assertTrue(elapsedMs >= 2 * REQUEST_TIMEOUT_MS, "only " + elapsedMs + " ms passed");

        probe.assertStillServing();
    }

    /**
     * Sends all but the last byte of the request one at a time, each after waiting {@link #TRICKLE_MS}
     * for an answer, and returns as soon as the broker answers; fails if it never does.
     */
    private static void trickleUntilAnswered(final RawHttpConnection connection, final String request) throws IOException
    {
        final byte[] bytes = request.getBytes(StandardCharsets.US_ASCII);
        int sent = 0;
        while (RawHttpConnection.TIMED_OUT == connection.peek(TRICKLE_MS))
        {
            if (sent == bytes.length - 1)
            {
                fail("no answer after trickling " + sent + " bytes over at least " + sent * TRICKLE_MS + " ms");
            }
            connection.send(new byte[] {bytes[sent++]});
        }
    }
}

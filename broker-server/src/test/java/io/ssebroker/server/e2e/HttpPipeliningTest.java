package io.ssebroker.server.e2e;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.RawHttpConnection;
import io.ssebroker.server.testing.RawResponse;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP/1.1 pipelining (RFC 9112 9.3.2): requests sent back to back on one keep-alive connection,
 * before any answer is read, are each answered, in order, without closing the connection.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpPipeliningTest
{
    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();

    @Test
    void shouldAnswerThousandPipelinedPublishesInOrderWithIncreasingIds() throws Exception
    {
        final int count = 1000;
        final StringBuilder requests = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            final String body = "n=" + i;
            requests.append("POST /publish?topic=pipelined HTTP/1.1\r\nHost: x\r\nContent-Length: ")
                .append(body.length()).append("\r\n\r\n").append(body);
        }
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=pipelined");
            RawHttpConnection connection = RawHttpConnection.open(broker.httpPort()))
        {
            // All of them in one write: the broker decodes many requests per read.
            connection.send(requests.toString());
            long previous = 0;
            final List<Long> ids = new ArrayList<>();
            for (int i = 0; i < count; i++)
            {
                final RawResponse response = connection.readResponse();
                assertEquals(200, response.status(), "answer " + i + ": " + response);
                final long id = Long.parseLong(response.bodyText());
                assertTrue(id > previous, "answer " + i + " id " + id + " not above " + previous);
                previous = id;
                ids.add(id);
            }
            // Still open and usable: one more request on the same connection.
            connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, connection.readResponse().status());

            // And the answers match what subscribers saw, in the same order.
            for (int i = 0; i < count; i++)
            {
                assertEquals(SseStream.chunkOf("id: " + ids.get(i) + "\ndata: n=" + i + "\n\n"), stream.nextChunkText());
            }
        }
    }

    @Test
    void shouldAnswerMixedPipelinedRequestsInArrivalOrder() throws Exception
    {
        try (RawHttpConnection connection = RawHttpConnection.open(broker.httpPort()))
        {
            connection.send(
                "POST /publish?topic=mixed HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na" +
                "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n" +
                "POST /publish?topic=mixed HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n" +
                "GET /health HTTP/1.1\r\nHost: x\r\n\r\n" +
                "POST /publish?topic=mixed HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nb");
            final RawResponse first = connection.readResponse();
            assertEquals(200, first.status(), first.toString());
            final RawResponse notFound = connection.readResponse();
            assertEquals(404, notFound.status(), notFound.toString());
            final RawResponse empty = connection.readResponse();
            assertEquals(400, empty.status(), empty.toString());
            assertEquals("data must not be empty\n", empty.bodyText());
            final RawResponse health = connection.readResponse();
            assertEquals("ok\n", health.bodyText());
            final RawResponse last = connection.readResponse();
            assertEquals(200, last.status(), last.toString());
            assertTrue(Long.parseLong(last.bodyText()) > Long.parseLong(first.bodyText()));
        }
    }

    @Test
    void shouldStartStreamOnlyAfterEarlierPipelinedAnswers() throws Exception
    {
        try (RawHttpConnection connection = RawHttpConnection.open(broker.httpPort()))
        {
            connection.send(
                "POST /publish?topic=then-stream HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst" +
                "GET /events?topic=then-stream HTTP/1.1\r\nHost: x\r\n\r\n");
            final RawResponse published = connection.readResponse();
            assertEquals(200, published.status(), published.toString());
            final String head = connection.readHead();
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            assertTrue(head.contains("text/event-stream"), head);
            final String preamble = new String(connection.readChunk(), StandardCharsets.UTF_8);
            assertEquals(SseStream.chunkOf("retry: 3000\n: ok\n\n"), preamble);
        }
    }
}

package io.ssebroker.server.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.ssebroker.metrics.Counter;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.RawHttp;
import io.ssebroker.server.testing.RawHttpConnection;
import io.ssebroker.server.testing.RawResponse;
import io.ssebroker.server.testing.ServingProbe;
import io.ssebroker.server.testing.ServingProbeExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad HTTP input gets the documented status and a one-line reason, is counted, and costs only the
 * client that sent it: after each, a stream opened before keeps receiving new events and new
 * publishes succeed ({@link ServingProbe}).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HttpBadRequestTest
{
    private static final int MAX_TOPICS_PER_STREAM = 4;
    private static final int MAX_BODY_BYTES = 3 * 1024 * 1024 + 4096;

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.with(config -> config.maxTopicsPerStream(MAX_TOPICS_PER_STREAM));

    @RegisterExtension
    final ServingProbeExtension probe = new ServingProbeExtension(broker);

    @Test
    void shouldReject400WhenEventsHasNoTopic() throws Exception
    {
        final long before = count(Counter.HTTP_BAD_REQUEST);

        final RawResponse response = RawHttp.get(broker.httpPort(), "/events");

        assertError(response, 400, "missing topic parameter (GET /events?topic=NAME)\n");
        assertEquals(before + 1, count(Counter.HTTP_BAD_REQUEST));
        probe.assertStillServing();
    }

    @Test
    void shouldReject400WhenTopicHasInvalidCharacters() throws Exception
    {
        final long before = count(Counter.HTTP_BAD_REQUEST);

        final RawResponse response = RawHttp.get(broker.httpPort(), "/events?topic=ok&topic=bad!name");

        assertError(response, 400, "invalid topic 'bad!name': topic may contain only A-Z a-z 0-9 . _ - : ~ @\n");
        assertEquals(before + 1, count(Counter.HTTP_BAD_REQUEST));
        probe.assertStillServing();
    }

    @Test
    void shouldReject400WhenTopicIsTooLong() throws Exception
    {
        final RawResponse response = RawHttp.get(broker.httpPort(), "/events?topic=" + "t".repeat(129));

        assertError(response, 400, "invalid topic '" + "t".repeat(64) + "...': topic must be at most 128 bytes, was 129\n");
        probe.assertStillServing();
    }

    @Test
    void shouldReject400WhenStreamAsksForTooManyTopics() throws Exception
    {
        final long before = count(Counter.HTTP_BAD_REQUEST);

        final RawResponse response = RawHttp.get(broker.httpPort(), "/events?topic=a&topic=b&topic=c&topic=d&topic=e");

        assertError(response, 400, "too many topics: 5 (at most " + MAX_TOPICS_PER_STREAM + " per stream)\n");
        assertEquals(before + 1, count(Counter.HTTP_BAD_REQUEST));
        probe.assertStillServing();
    }

    @Test
    void shouldReject400WhenQueryHasMalformedPercentEscape() throws Exception
    {
        final RawResponse response = RawHttp.get(broker.httpPort(), "/events?topic=%zz");

        assertEquals(400, response.status(), response.toString());
        probe.assertStillServing();
    }

    @Test
    void shouldReject405WithAllowWhenEventsIsPut() throws Exception
    {
        final long before = count(Counter.HTTP_METHOD_NOT_ALLOWED);

        final RawResponse response = RawHttp.exchange(broker.httpPort(), "PUT", "/events?topic=t", "text/plain",
            "x".getBytes(StandardCharsets.US_ASCII));

        assertError(response, 405, "PUT is not allowed on this path; use GET, OPTIONS\n");
        assertEquals("GET, OPTIONS", response.header("Allow"));
        assertEquals(before + 1, count(Counter.HTTP_METHOD_NOT_ALLOWED));
        probe.assertStillServing();
    }

    @Test
    void shouldReject405WithAllowWhenPublishIsGet() throws Exception
    {
        final RawResponse response = RawHttp.get(broker.httpPort(), "/publish?topic=t");

        assertError(response, 405, "GET is not allowed on this path; use POST, OPTIONS\n");
        assertEquals("POST, OPTIONS", response.header("Allow"));
        probe.assertStillServing();
    }

    @Test
    void shouldReject404ForUnknownPath() throws Exception
    {
        final long before = count(Counter.HTTP_NOT_FOUND);

        final RawResponse response = RawHttp.get(broker.httpPort(), "/nowhere?topic=t");

        assertError(response, 404, "no such path: /nowhere (try GET /events?topic=NAME or POST /publish)\n");
        assertEquals(before + 1, count(Counter.HTTP_NOT_FOUND));
        probe.assertStillServing();
    }

    @Test
    void shouldReject400WhenFormHasNoData() throws Exception
    {
        final long before = count(Counter.HTTP_BAD_REQUEST);

        final RawResponse response = RawHttp.postForm(broker.httpPort(), "topic=t&event=e");

        assertError(response, 400, "form must have exactly one topic, one data and at most one event field\n");
        assertEquals(before + 1, count(Counter.HTTP_BAD_REQUEST));
        probe.assertStillServing();
    }

    @Test
    void shouldReject400WhenFormDataIsEmpty() throws Exception
    {
        final RawResponse response = RawHttp.postForm(broker.httpPort(), "topic=t&data=");

        assertError(response, 400, "data must not be empty\n");
        probe.assertStillServing();
    }

    @Test
    void shouldReject400WhenRawBodyIsEmpty() throws Exception
    {
        final RawResponse response = RawHttp.exchange(broker.httpPort(), "POST", "/publish?topic=t", "text/plain", new byte[0]);

        assertError(response, 400, "data must not be empty\n");
        probe.assertStillServing();
    }

    @Test
    void shouldReject400WhenFormDataEscapesInvalidUtf8() throws Exception
    {
        final long before = count(Counter.HTTP_BAD_REQUEST);

        final RawResponse response = RawHttp.postForm(broker.httpPort(), "topic=t&data=%C3%28");

        assertError(response, 400, "data is not valid UTF-8\n");
        assertEquals(before + 1, count(Counter.HTTP_BAD_REQUEST));
        probe.assertStillServing();
    }

    @Test
    void shouldReject400WhenRawBodyIsInvalidUtf8() throws Exception
    {
        final RawResponse response = RawHttp.exchange(broker.httpPort(), "POST", "/publish?topic=t", "text/plain",
            new byte[] {'o', 'k', (byte)0xC3, 0x28});

        assertError(response, 400, "data is not valid UTF-8\n");
        probe.assertStillServing();
    }

    @Test
    void shouldReject400WhenFormHasMalformedPercentEscape() throws Exception
    {
        final RawResponse response = RawHttp.postForm(broker.httpPort(), "topic=t&data=%zz");

        assertError(response, 400, "malformed form body: bad percent escape\n");
        probe.assertStillServing();
    }

    @Test
    void shouldReject400WhenFormEndsInTruncatedPercentEscape() throws Exception
    {
        final RawResponse response = RawHttp.postForm(broker.httpPort(), "topic=t&data=ab%4");

        assertError(response, 400, "malformed form body: truncated percent escape\n");
        probe.assertStillServing();
    }

    @Test
    void shouldReject400WhenEventNameHasSpace() throws Exception
    {
        final RawResponse response = RawHttp.postForm(broker.httpPort(), "topic=t&data=x&event=two+words");

        assertError(response, 400, "invalid event name: 1 to 64 printable ASCII characters without spaces\n");
        probe.assertStillServing();
    }

    @Test
    void shouldReject400WhenPublishTopicIsInvalid() throws Exception
    {
        final RawResponse response = RawHttp.postForm(broker.httpPort(), "topic=a%2Fb&data=x");

        assertError(response, 400, "invalid topic 'a/b': topic may contain only A-Z a-z 0-9 . _ - : ~ @\n");
        probe.assertStillServing();
    }

    @Test
    void shouldReject400WhenRawBodyHasNoTopic() throws Exception
    {
        final RawResponse response = RawHttp.exchange(broker.httpPort(), "POST", "/publish", "text/plain",
            "x".getBytes(StandardCharsets.US_ASCII));

        assertError(response, 400,
            "missing topic: send a form (topic, data, event) or ?topic=NAME with the data as the body\n");
        probe.assertStillServing();
    }

    @Test
    void shouldReject400WhenRawBodyQueryHasMalformedPercentEscape() throws Exception
    {
        final RawResponse response = RawHttp.exchange(broker.httpPort(), "POST", "/publish?topic=%zz", "text/plain",
            "x".getBytes(StandardCharsets.US_ASCII));

        assertEquals(400, response.status(), response.toString());
        probe.assertStillServing();
    }

    @Test
    void shouldKeepConnectionOpenAfterParameterError() throws Exception
    {
        try (RawHttpConnection connection = RawHttpConnection.open(broker.httpPort()))
        {
            connection.send("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assertEquals(400, connection.readResponse().status());

            connection.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            final RawResponse health = connection.readResponse();
            assertEquals(200, health.status());
            assertEquals("ok\n", health.bodyText());
        }
        probe.assertStillServing();
    }

    @Test
    void shouldReject413AndCloseWhenBodyIsTenMegabytes() throws Exception
    {
        final long before = count(Counter.HTTP_BODY_TOO_LARGE);
        try (RawHttpConnection connection = RawHttpConnection.open(broker.httpPort()))
        {
            connection.send("POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10485760\r\n\r\n");

            assertError(connection.readResponse(), 413,
                "body of 10485760 bytes exceeds the limit of " + MAX_BODY_BYTES + " bytes\n");
            assertTrue(connection.awaitClose(), "connection must be closed after 413");
        }
        assertEquals(before + 1, count(Counter.HTTP_BODY_TOO_LARGE));
        probe.assertStillServing();
    }

    @Test
    void shouldReject414AndCloseWhenRequestLineIsOverSixteenKibibytes() throws Exception
    {
        final long before = count(Counter.HTTP_HEADERS_TOO_LARGE);
        try (RawHttpConnection connection = RawHttpConnection.open(broker.httpPort()))
        {
            sendTolerant(connection, "GET /events?topic=" + "a".repeat(16_500) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

            assertError(connection.readResponse(), 414, "request line too long (limit 16384 bytes)\n");
            assertTrue(connection.awaitClose(), "connection must be closed after 414");
        }
        assertEquals(before + 1, count(Counter.HTTP_HEADERS_TOO_LARGE));
        probe.assertStillServing();
    }

    @Test
    void shouldReject431AndCloseWhenHeadersAreTwentyKibibytes() throws Exception
    {
        final long before = count(Counter.HTTP_HEADERS_TOO_LARGE);
        final StringBuilder request = new StringBuilder("GET /events?topic=t HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (int i = 0; i < 20; i++)
        {
            request.append("X-Filler-").append(i).append(": ").append("f".repeat(1000)).append("\r\n");
        }
        request.append("\r\n");
        try (RawHttpConnection connection = RawHttpConnection.open(broker.httpPort()))
        {
            sendTolerant(connection, request.toString());

            assertError(connection.readResponse(), 431, "request headers too large (limit 8192 bytes)\n");
            assertTrue(connection.awaitClose(), "connection must be closed after 431");
        }
        assertEquals(before + 1, count(Counter.HTTP_HEADERS_TOO_LARGE));
        probe.assertStillServing();
    }

    @Test
    void shouldReject400AndCloseWhenRequestLineIsNotHttp() throws Exception
    {
        try (RawHttpConnection connection = RawHttpConnection.open(broker.httpPort()))
        {
            connection.send("\u0016\u0003\u0001 garbage that is not HTTP\r\n\r\n");

            final RawResponse response = connection.readResponse();
            assertEquals(400, response.status(), response.toString());
            assertTrue(connection.awaitClose(), "connection must be closed after a malformed request");
        }
        probe.assertStillServing();
    }

    private static void assertError(final RawResponse response, final int status, final String reason)
    {
        assertEquals(status, response.status(), response.toString());
        assertEquals("text/plain; charset=utf-8", response.header("Content-Type"));
        assertEquals(reason, response.bodyText());
    }

    /**
     * Sends a request the broker may reject and close on before it has read all of it; a failed
     * write then is expected, the answer is still readable.
     */
    private static void sendTolerant(final RawHttpConnection connection, final String request)
    {
        try
        {
            connection.send(request);
        }
        catch (final IOException ignored)
        {
            // The broker closed after reading enough to reject; its answer is already on the way.
        }
    }

    private static long count(final Counter counter)
    {
        return broker.counters().get(counter);
    }
}

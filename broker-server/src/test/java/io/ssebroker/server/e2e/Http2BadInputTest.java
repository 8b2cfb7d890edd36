package io.ssebroker.server.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.H2cTestClient;
import io.ssebroker.server.testing.H2cWitness;
import io.ssebroker.server.testing.RawHttp;
import io.ssebroker.server.testing.RawHttpConnection;
import io.ssebroker.server.testing.RawResponse;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad requests over HTTP/2 get exactly what the same request gets over HTTP/1.1 (status, one-line
 * reason, {@code allow}), are counted the same, and cost only the stream that carried them: the
 * connection stays up and answers its next stream, no GOAWAY is sent, and an HTTP/2 subscriber on
 * another connection ({@link H2cWitness}) keeps receiving events.
 * <p>
 * Each test sends the request both ways and compares the answers, so it fails when either protocol
 * drifts from the other.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Http2BadInputTest
{
    private static final int TEN_MEGABYTES = 10 * 1024 * 1024;
    private static final String FORM = "application/x-www-form-urlencoded";

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();

    private H2cWitness witness;
    private H2cTestClient client;

    @BeforeEach
    void open() throws InterruptedException
    {
        witness = H2cWitness.open(broker.httpPort());
        client = H2cTestClient.connect(broker.httpPort());
    }

    @AfterEach
    void close()
    {
        if (null != client)
        {
            client.close();
        }
        if (null != witness)
        {
            witness.close();
        }
    }

    @Test
    void shouldAnswer413LikeHttp1WhenDeclaredBodyIsTenMegabytes() throws Exception
    {
        final long before = count(Counter.HTTP_BODY_TOO_LARGE);
        final Http2Headers headers = client.requestHeaders("POST", "/publish")
            .set("content-type", FORM)
            .setInt("content-length", TEN_MEGABYTES);

        // The body follows the headers at once; the broker answers on the headers alone.
        final int streamId = client.request(headers, new byte[TEN_MEGABYTES]);
        final H2cTestClient.Response h2 = client.awaitResponse(streamId);

        assertEquals(before + 1, count(Counter.HTTP_BODY_TOO_LARGE));
        final RawResponse h1;
        try (RawHttpConnection connection = RawHttpConnection.open(broker.httpPort()))
        {
            connection.send("POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + FORM +
                "\r\nContent-Length: " + TEN_MEGABYTES + "\r\n\r\n");
            h1 = connection.readResponse();
        }
        assertEquals(before + 2, count(Counter.HTTP_BODY_TOO_LARGE));
        assertRejectedLikeHttp1(h1, h2, 413,
            "body of 10485760 bytes exceeds the limit of " + (3 * 1024 * 1024 + 4096) + " bytes\n");
        assertStopSendingAndConnectionServes(streamId);
        witness.assertStillServing("after-declared-413");
    }

    @Test
    void shouldAnswer413LikeHttp1WhenTenMegabyteBodyHasNoLength() throws Exception
    {
        final long before = count(Counter.HTTP_BODY_TOO_LARGE);

        final int streamId = client.request(client.requestHeaders("POST", "/publish").set("content-type", FORM),
            new byte[TEN_MEGABYTES]);
        final H2cTestClient.Response h2 = client.awaitResponse(streamId);

        assertEquals(before + 1, count(Counter.HTTP_BODY_TOO_LARGE));
        final RawResponse h1 = chunkedUntilAnswered(TEN_MEGABYTES);
        assertEquals(before + 2, count(Counter.HTTP_BODY_TOO_LARGE));
        assertRejectedLikeHttp1(h1, h2, 413, "body exceeds the limit of " + (3 * 1024 * 1024 + 4096) + " bytes\n");
        assertStopSendingAndConnectionServes(streamId);
        witness.assertStillServing("after-streamed-413");
    }

    @Test
    void shouldAnswer400LikeHttp1WhenRawBodyIsInvalidUtf8() throws Exception
    {
        final byte[] body = {'o', 'k', (byte)0xC3, 0x28};
        final long before = count(Counter.HTTP_BAD_REQUEST);

        final H2cTestClient.Response h2 = exchange("POST", "/publish?topic=t", "text/plain", body);

        assertEquals(before + 1, count(Counter.HTTP_BAD_REQUEST));
        final RawResponse h1 = RawHttp.exchange(broker.httpPort(), "POST", "/publish?topic=t", "text/plain", body);
        assertEquals(before + 2, count(Counter.HTTP_BAD_REQUEST));
        assertRejectedLikeHttp1(h1, h2, 400, "data is not valid UTF-8\n");
        witness.assertStillServing("after-invalid-utf8");
    }

    @Test
    void shouldAnswer404LikeHttp1ForUnknownPath() throws Exception
    {
        final long before = count(Counter.HTTP_NOT_FOUND);

        final H2cTestClient.Response h2 = exchange("GET", "/nowhere?topic=t", null, null);

        assertEquals(before + 1, count(Counter.HTTP_NOT_FOUND));
        final RawResponse h1 = RawHttp.get(broker.httpPort(), "/nowhere?topic=t");
        assertEquals(before + 2, count(Counter.HTTP_NOT_FOUND));
        assertRejectedLikeHttp1(h1, h2, 404, "no such path: /nowhere (try GET /events?topic=NAME or POST /publish)\n");
        witness.assertStillServing("after-404");
    }

    @Test
    void shouldAnswer405WithAllowLikeHttp1WhenEventsIsPut() throws Exception
    {
        final byte[] body = "x".getBytes(StandardCharsets.US_ASCII);
        final long before = count(Counter.HTTP_METHOD_NOT_ALLOWED);

        final H2cTestClient.Response h2 = exchange("PUT", "/events?topic=t", "text/plain", body);

        assertEquals(before + 1, count(Counter.HTTP_METHOD_NOT_ALLOWED));
        final RawResponse h1 = RawHttp.exchange(broker.httpPort(), "PUT", "/events?topic=t", "text/plain", body);
        assertEquals(before + 2, count(Counter.HTTP_METHOD_NOT_ALLOWED));
        assertRejectedLikeHttp1(h1, h2, 405, "PUT is not allowed on this path; use GET, OPTIONS\n");
        assertEquals("GET, OPTIONS", h2.header("allow"), "allow over HTTP/2");
        witness.assertStillServing("after-405");
    }

    @Test
    void shouldAnswer400LikeHttp1WhenEventsHasNoTopic() throws Exception
    {
        final long before = count(Counter.HTTP_BAD_REQUEST);

        final H2cTestClient.Response h2 = exchange("GET", "/events", null, null);

        assertEquals(before + 1, count(Counter.HTTP_BAD_REQUEST));
        final RawResponse h1 = RawHttp.get(broker.httpPort(), "/events");
        assertEquals(before + 2, count(Counter.HTTP_BAD_REQUEST));
        assertRejectedLikeHttp1(h1, h2, 400, "missing topic parameter (GET /events?topic=NAME)\n");
        witness.assertStillServing("after-no-topic-subscribe");
    }

    @Test
    void shouldAnswer400LikeHttp1WhenRawPublishHasNoTopic() throws Exception
    {
        final byte[] body = "x".getBytes(StandardCharsets.US_ASCII);
        final long before = count(Counter.HTTP_BAD_REQUEST);

        final H2cTestClient.Response h2 = exchange("POST", "/publish", "text/plain", body);

        assertEquals(before + 1, count(Counter.HTTP_BAD_REQUEST));
        final RawResponse h1 = RawHttp.exchange(broker.httpPort(), "POST", "/publish", "text/plain", body);
        assertEquals(before + 2, count(Counter.HTTP_BAD_REQUEST));
        assertRejectedLikeHttp1(h1, h2, 400,
            "missing topic: send a form (topic, data, event) or ?topic=NAME with the data as the body\n");
        witness.assertStillServing("after-no-topic-publish");
    }

    /**
     * Sends one request over the test's HTTP/2 connection and waits for the whole answer.
     */
    private H2cTestClient.Response exchange(
        final String method, final String path, final String contentType, final byte[] body)
    {
        final Http2Headers headers = client.requestHeaders(method, path);
        if (null != contentType)
        {
            headers.set("content-type", contentType);
        }
        return client.awaitResponse(client.request(headers, body));
    }

    /**
     * The HTTP/2 answer must be the HTTP/1.1 one: same status, same reason, same content type and
     * {@code allow}; and it must be a complete response, not a reset, on a connection that goes on.
     */
    private void assertRejectedLikeHttp1(
        final RawResponse h1, final H2cTestClient.Response h2, final int status, final String reason)
    {
        assertEquals(status, h1.status(), "HTTP/1.1: " + h1);
        assertEquals(reason, h1.bodyText(), "HTTP/1.1 reason");
        assertEquals(status, h2.status(), "HTTP/2 status; client saw " + client.timeline());
        assertTrue(h2.ended(), "HTTP/2 answer must end with END_STREAM; client saw " + client.timeline());
        assertEquals(h1.bodyText(), h2.body(), "HTTP/2 reason must be the HTTP/1.1 one");
        assertEquals(h1.header("Content-Type"), h2.header("content-type"), "content-type");
        assertEquals(h1.header("Allow"), h2.header("allow"), "allow");
        assertTrue(client.goAways().isEmpty(), "a bad request is not a connection error: " + client.goAways());
        assertTrue(client.errors().isEmpty(), "client-side protocol errors: " + client.errors());
    }

    /**
     * After answering a request whose body is still coming, the broker asks the client to stop
     * sending it (RST_STREAM NO_ERROR, RFC 9113 8.1), and the connection serves the next stream.
     */
    private void assertStopSendingAndConnectionServes(final int streamId)
    {
        Await.until(() -> "RST_STREAM after the early answer; client saw " + client.timeline(),
            () -> client.resetCode(streamId) >= 0, Duration.ofSeconds(10));
        assertEquals(Http2Error.NO_ERROR.code(), client.resetCode(streamId), "RST_STREAM code");

        final H2cTestClient.Response health = client.awaitResponse(client.get("/health"));
        assertEquals(200, health.status());
        assertEquals("ok\n", health.body());
        assertTrue(client.isOpen(), "the connection must outlive a rejected stream");
    }

    /**
     * Sends a chunked form body of up to {@code bytes} over HTTP/1.1 in 64 KiB chunks, looking for
     * the answer after each, and reads the answer; the broker rejects before the end and closes.
     */
    private static RawResponse chunkedUntilAnswered(final int bytes) throws IOException
    {
        try (RawHttpConnection connection = RawHttpConnection.open(broker.httpPort()))
        {
            connection.send("POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + FORM +
                "\r\nTransfer-Encoding: chunked\r\n\r\n");
            final byte[] payload = new byte[64 * 1024];
            Arrays.fill(payload, (byte)'a');
            final byte[] chunk = SseStream.chunkOf(payload);
            for (int sent = 0; sent < bytes && RawHttpConnection.TIMED_OUT == connection.peek(1); sent += payload.length)
            {
                try
                {
                    connection.send(chunk);
                }
                catch (final IOException closed)
                {
                    // The broker answered and closed while this chunk was on its way: read the answer.
                    break;
                }
            }
            return connection.readResponse();
        }
    }

    private static long count(final Counter counter)
    {
        return broker.counters().get(counter);
    }
}

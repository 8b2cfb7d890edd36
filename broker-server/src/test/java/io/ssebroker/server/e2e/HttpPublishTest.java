package io.ssebroker.server.e2e;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.ssebroker.metrics.Counter;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.JdkHttp;
import io.ssebroker.server.testing.RawHttp;
import io.ssebroker.server.testing.RawHttpConnection;
import io.ssebroker.server.testing.RawResponse;
import io.ssebroker.server.testing.SseEvent;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code POST /publish}: a form (topic, data, event) or a raw body with {@code ?topic=}; the answer is
 * 200 with the assigned id as the whole body, and the event reaches streams with that id.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HttpPublishTest
{
    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();

    @Test
    void shouldAnswerFormPublishWithAssignedIdAsWholeBody() throws Exception
    {
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=form"))
        {
            final HttpResponse<String> response = JdkHttp.CLIENT.send(
                HttpRequest.newBuilder(uri("/publish"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("topic=form&event=update&data=hello+world%21"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());

            assertEquals(200, response.statusCode());
            assertTrue(response.body().matches("[0-9]+"), "body must be the id alone: '" + response.body() + "'");
            final long id = Long.parseLong(response.body());
            assertTrue(id >= broker.epochId(), "id " + id + " below the epoch " + broker.epochId());
            assertEquals(SseStream.chunkOf("id: " + id + "\nevent: update\ndata: hello world!\n\n"), stream.nextChunkText());
        }
    }

    @Test
    void shouldPublishRawBodyWithTopicInQuery() throws Exception
    {
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=raw"))
        {
            final HttpResponse<String> response = JdkHttp.CLIENT.send(
                HttpRequest.newBuilder(uri("/publish?topic=raw&event=note"))
                    .header("Content-Type", "text/plain; charset=utf-8")
                    .POST(HttpRequest.BodyPublishers.ofString("line one\nline two"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());

            assertEquals(200, response.statusCode());
            final long id = Long.parseLong(response.body());
            assertEquals(new SseEvent(Long.toString(id), "note", "line one\nline two"), stream.nextEvent());
        }
    }

    @Test
    void shouldPublishPercentEncodedUtf8FormDataByteExact() throws Exception
    {
        final String text = "caf\u00e9 \ud83d\ude00 & = + %";
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=utf8"))
        {
            final long id = RawHttp.publish(broker.httpPort(), "utf8", text);

            final byte[] payload = ("id: " + id + "\ndata: " + text + "\n\n").getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(SseStream.chunkOf(payload), stream.nextChunk());
        }
    }

    @Test
    void shouldAnswerConsecutivePublishesOnOneKeepAliveConnectionWithIncreasingIds() throws Exception
    {
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=keepalive");
            RawHttpConnection connection = RawHttpConnection.open(broker.httpPort()))
        {
            long previous = 0;
            for (int i = 0; i < 3; i++)
            {
                final String body = "topic=keepalive&data=n" + i;
                connection.send("POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
                final RawResponse response = connection.readResponse();
                assertEquals(200, response.status());
                final long id = Long.parseLong(response.bodyText());
                assertTrue(id > previous, "ids must increase: " + previous + " then " + id);
                previous = id;
                assertEquals(new SseEvent(Long.toString(id), null, "n" + i), stream.nextEvent());
            }
        }
    }

    @Test
    void shouldHonourExpectContinue() throws Exception
    {
        final long before = broker.counters().get(Counter.HTTP_PUBLISHES);
        try (RawHttpConnection connection = RawHttpConnection.open(broker.httpPort()))
        {
            connection.send("POST /publish?topic=continue HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n" +
                "Content-Length: 4\r\nExpect: 100-continue\r\n\r\n");
            assertEquals("HTTP/1.1 100 Continue\r\n\r\n", connection.readHead());

            connection.send("body");
            final RawResponse response = connection.readResponse();
            assertEquals(200, response.status());
            assertTrue(response.bodyText().matches("[0-9]+"));
        }
        assertEquals(before + 1, broker.counters().get(Counter.HTTP_PUBLISHES));
    }

    private static URI uri(final String target)
    {
        return URI.create("http://127.0.0.1:" + broker.httpPort() + target);
    }
}

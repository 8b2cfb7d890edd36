package io.ssebroker.server.e2e;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.RawHttpConnection;
import io.ssebroker.server.testing.RawResponse;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bytes of an HTTP/1.1 event stream, exactly: the response head, the preamble chunk, and one
 * chunk per event with its id, event name and data.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StreamWireFormatTest
{
    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults().withPublisher("wire-format-test");

    @Test
    void shouldAnswerWithExactEventStreamHead() throws Exception
    {
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=head"))
        {
            assertEquals(
                "HTTP/1.1 200 OK\r\n" +
                "Content-Type: text/event-stream; charset=utf-8\r\n" +
                "Cache-Control: no-cache\r\n" +
                "X-Accel-Buffering: no\r\n" +
                "Transfer-Encoding: chunked\r\n" +
                "Access-Control-Allow-Origin: *\r\n" +
                "\r\n",
                stream.head());
        }
    }

    @Test
    void shouldSendRetryAndCommentAsFirstChunk() throws Exception
    {
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=preamble"))
        {
            assertEquals("12\r\nretry: 3000\n: ok\n\n\r\n", stream.preamble());
        }
    }

    @Test
    void shouldSendEachEventAsOneChunkWithIdEventAndData() throws Exception
    {
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=chunks"))
        {
            final long first = publish("chunks", "greeting", "hello");
            final long second = publish("chunks", "greeting", "world!");
            final long third = publish("chunks", "farewell", "x");

            assertEquals(chunk("id: " + first + "\nevent: greeting\ndata: hello\n\n"), stream.nextChunkText());
            assertEquals(chunk("id: " + second + "\nevent: greeting\ndata: world!\n\n"), stream.nextChunkText());
            assertEquals(chunk("id: " + third + "\nevent: farewell\ndata: x\n\n"), stream.nextChunkText());
        }
    }

    @Test
    void shouldOmitEventFieldForPlainMessage() throws Exception
    {
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=plain"))
        {
            final long id = publish("plain", null, "just data");

            assertEquals(chunk("id: " + id + "\ndata: just data\n\n"), stream.nextChunkText());
        }
    }

    @Test
    void shouldUseLowercaseHexChunkSizeForLargeEvent() throws Exception
    {
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=large"))
        {
            final String data = "z".repeat(5000);
            final long id = publish("large", null, data);

            // Ids are 16 digits (microseconds since 1970) until the year 2286, so the payload is
            // 4 + 16 + 1 + 6 + 5000 + 1 + 1 = 5029 bytes: 0x13a5, with a letter that must be lowercase.
            assertEquals(16, Long.toString(id).length());
            final String payload = "id: " + id + "\ndata: " + data + "\n\n";
            assertEquals("13a5\r\n" + payload + "\r\n", stream.nextChunkText());
        }
    }

    @Test
    void shouldStreamWithoutChunkedEncodingToHttp10Client() throws Exception
    {
        try (RawHttpConnection connection = RawHttpConnection.open(broker.httpPort()))
        {
            connection.send("GET /events?topic=old-client HTTP/1.0\r\n\r\n");

            final String headText = connection.readHead();
            final RawResponse head = new RawResponse(headText, new byte[0]);
            assertTrue(headText.startsWith("HTTP/1.0 200 OK\r\n"), headText);
            assertNull(head.header("Transfer-Encoding"), "no Transfer-Encoding in answer to an HTTP/1.0 request: " + head);
            final String preamble = "retry: 3000\n: ok\n\n";
            assertEquals(preamble, new String(connection.readExactly(preamble.length()), StandardCharsets.UTF_8));

            final long id = publish("old-client", null, "plain body");
            final String event = "id: " + id + "\ndata: plain body\n\n";
            assertEquals(event, new String(connection.readExactly(event.length()), StandardCharsets.UTF_8));
        }
    }

    /**
     * @return the HTTP/1.1 chunk of an SSE payload, built by hand: hex size, CRLF, payload, CRLF.
     */
    private static String chunk(final String payload)
    {
        final int size = payload.getBytes(StandardCharsets.UTF_8).length;
        return Integer.toHexString(size) + "\r\n" + payload + "\r\n";
    }

    private static long publish(final String topic, final String event, final String data) throws Exception
    {
        return broker.publisher().publish(topic, event, data.getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
    }
}

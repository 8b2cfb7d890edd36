package io.ssebroker.server.e2e;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.JdkHttp;
import io.ssebroker.server.testing.SseEvent;
import io.ssebroker.server.testing.SseStream;
import io.ssebroker.server.testing.SseText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Payloads with line breaks and non-ASCII text: every CR, LF and CRLF ends one {@code data:} line,
 * exactly as the WHATWG parser splits them, and UTF-8 bytes arrive unchanged.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MultiLinePayloadTest
{
    private static final AtomicInteger TOPICS = new AtomicInteger();

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults().withPublisher("multi-line-test");

    static Stream<Arguments> lineBreaks()
    {
        return Stream.of(
            Arguments.of("LF", "a\nb", "data: a\ndata: b\n"),
            Arguments.of("CR", "a\rb", "data: a\ndata: b\n"),
            Arguments.of("CRLF", "a\r\nb", "data: a\ndata: b\n"),
            Arguments.of("trailing LF", "a\n", "data: a\ndata: \n"),
            Arguments.of("trailing CR", "a\r", "data: a\ndata: \n"),
            Arguments.of("trailing CRLF", "a\r\n", "data: a\ndata: \n"),
            Arguments.of("only LF", "\n", "data: \ndata: \n"),
            Arguments.of("leading LF", "\nb", "data: \ndata: b\n"),
            Arguments.of("LF then CR is two breaks", "a\n\rb", "data: a\ndata: \ndata: b\n"),
            Arguments.of("blank line in CRLF text", "a\r\n\r\nb", "data: a\ndata: \ndata: b\n"),
            Arguments.of("mixed", "x\ry\nz\r\nw", "data: x\ndata: y\ndata: z\ndata: w\n"),
            Arguments.of("colon and spaces kept", " a: b \n:c", "data:  a: b \ndata: :c\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lineBreaks")
    void shouldWriteOneDataLinePerLineOfPayload(final String name, final String data, final String expectedDataLines)
        throws Exception
    {
        final String topic = "lines-" + TOPICS.incrementAndGet();
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=" + topic))
        {
            final long id = publish(topic, data.getBytes(StandardCharsets.UTF_8));

            final String payload = SseStream.payloadText(stream.nextChunk());
            assertEquals("id: " + id + "\n" + expectedDataLines + "\n", payload, SseText.printable(payload));
            // What an EventSource hands the application: the lines re-joined with LF.
            final String normalised = data.replace("\r\n", "\n").replace('\r', '\n');
            assertEquals(new SseEvent(Long.toString(id), null, normalised), SseText.single(payload));
        }
    }

    @Test
    void shouldDeliverMultiByteUtf8AndEmojiByteExact() throws Exception
    {
        final String topic = "unicode-" + TOPICS.incrementAndGet();
        final String text = "h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c\u8a9e \ud83d\ude00\ud83c\udf89 \u0000x";
        final byte[] data = text.getBytes(StandardCharsets.UTF_8);
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=" + topic))
        {
            final long id = publish(topic, data);

            final byte[] expected = concat(("id: " + id + "\ndata: ").getBytes(StandardCharsets.US_ASCII), data,
                "\n\n".getBytes(StandardCharsets.US_ASCII));
            assertArrayEquals(SseStream.chunkOf(expected), stream.nextChunk());
        }
    }

    @Test
    void shouldSplitLinesBetweenMultiByteCharacters() throws Exception
    {
        final String topic = "unicode-lines-" + TOPICS.incrementAndGet();
        final String text = "\ud83d\ude00\n\u00e9\r\n\u65e5\r\ud83c\udf89";
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=" + topic))
        {
            final long id = publish(topic, text.getBytes(StandardCharsets.UTF_8));

            final String payload = "id: " + id + "\ndata: \ud83d\ude00\ndata: \u00e9\ndata: \u65e5\ndata: \ud83c\udf89\n\n";
            assertArrayEquals(SseStream.chunkOf(payload.getBytes(StandardCharsets.UTF_8)), stream.nextChunk());
        }
    }

    @Test
    void shouldDeliverMultiLineUnicodeDataToJdkHttpClient() throws Exception
    {
        final String topic = "jdk-client-" + TOPICS.incrementAndGet();
        final String text = "first \u2603\r\nsecond \ud83d\ude80\nthird\rfourth";
        final HttpClient client = JdkHttp.CLIENT;
        final HttpRequest request = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + broker.httpPort() + "/events?topic=" + topic)).GET().build();
        final HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader body = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8)))
        {
            assertEquals(200, response.statusCode());
            assertEquals("text/event-stream; charset=utf-8", response.headers().firstValue("content-type").orElse(null));
            assertEquals("retry: 3000", body.readLine());
            assertEquals(": ok", body.readLine());
            assertEquals("", body.readLine());

            final long id = publish(topic, text.getBytes(StandardCharsets.UTF_8));

            final StringBuilder block = new StringBuilder();
            for (String line = body.readLine(); !line.isEmpty(); line = body.readLine())
            {
                block.append(line).append('\n');
            }
            block.append('\n');
            assertEquals(new SseEvent(Long.toString(id), null, "first \u2603\nsecond \ud83d\ude80\nthird\nfourth"),
                SseText.single(block.toString()));
        }
    }

    private static long publish(final String topic, final byte[] data) throws Exception
    {
        return broker.publisher().publish(topic, null, data).get(10, TimeUnit.SECONDS);
    }

    private static byte[] concat(final byte[]... parts)
    {
        int length = 0;
        for (final byte[] part : parts)
        {
            length += part.length;
        }
        final byte[] all = new byte[length];
        int offset = 0;
        for (final byte[] part : parts)
        {
            System.arraycopy(part, 0, all, offset, part.length);
            offset += part.length;
        }
        return all;
    }
}

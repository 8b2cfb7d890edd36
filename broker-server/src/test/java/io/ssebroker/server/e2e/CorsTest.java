package io.ssebroker.server.e2e;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.JdkHttp;
import io.ssebroker.server.testing.RawHttp;
import io.ssebroker.server.testing.RawResponse;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cross-origin access: any origin by default; with a configured list, a listed origin is echoed with
 * credentials allowed and {@code Vary: Origin}, any other origin gets no allow-origin header; preflight
 * requests are answered 204 with the methods and headers a client may use.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CorsTest
{
    private static final String LISTED = "https://a.example";
    private static final String UNLISTED = "https://b.example";

    @RegisterExtension
    static final BrokerExtension anyOrigin = BrokerExtension.withDefaults();

    @RegisterExtension
    static final BrokerExtension listedOrigins = BrokerExtension.with(config -> config.corsOrigins(List.of(LISTED)));

    @Test
    void shouldAllowAnyOriginOnStreamByDefault() throws Exception
    {
        try (SseStream stream = SseStream.open(anyOrigin.httpPort(), "/events?topic=cors", "Origin: " + UNLISTED))
        {
            final RawResponse head = new RawResponse(stream.head(), new byte[0]);
            assertEquals("*", head.header("Access-Control-Allow-Origin"));
            assertNull(head.header("Access-Control-Allow-Credentials"));
            assertNull(head.header("Vary"));
        }
    }

    @Test
    void shouldAllowAnyOriginOnPublishAnswerByDefault() throws Exception
    {
        final RawResponse response = RawHttp.exchange(anyOrigin.httpPort(), "POST", "/publish?topic=cors", "text/plain",
            new byte[] {'x'}, "Origin: " + UNLISTED);

        assertEquals(200, response.status());
        assertEquals("*", response.header("Access-Control-Allow-Origin"));
        assertNull(response.header("Access-Control-Allow-Credentials"));
    }

    @Test
    void shouldAnswerPreflightWith204AndAllowedMethodsAndHeadersByDefault() throws Exception
    {
        final HttpResponse<Void> response = JdkHttp.CLIENT.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + anyOrigin.httpPort() + "/events?topic=cors"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", UNLISTED)
                .header("Access-Control-Request-Method", "GET")
                .header("Access-Control-Request-Headers", "last-event-id")
                .build(),
            HttpResponse.BodyHandlers.discarding());

        assertEquals(204, response.statusCode());
        assertEquals("*", response.headers().firstValue("access-control-allow-origin").orElse(null));
        assertEquals("GET, POST, OPTIONS", response.headers().firstValue("access-control-allow-methods").orElse(null));
        assertEquals("last-event-id", response.headers().firstValue("access-control-allow-headers").orElse(null));
        assertEquals("86400", response.headers().firstValue("access-control-max-age").orElse(null));
    }

    @Test
    void shouldListDefaultAllowedHeadersWhenPreflightNamesNone() throws Exception
    {
        final RawResponse response = RawHttp.exchange(anyOrigin.httpPort(), "OPTIONS", "/publish", null, null,
            "Origin: " + UNLISTED, "Access-Control-Request-Method: POST");

        assertEquals(204, response.status());
        assertEquals("Last-Event-ID, Cache-Control, Content-Type", response.header("Access-Control-Allow-Headers"));
        assertEquals("GET, POST, OPTIONS", response.header("Access-Control-Allow-Methods"));
    }

    @Test
    void shouldEchoListedOriginWithCredentialsOnStream() throws Exception
    {
        try (SseStream stream = SseStream.open(listedOrigins.httpPort(), "/events?topic=cors", "Origin: " + LISTED))
        {
            assertEquals(
                "HTTP/1.1 200 OK\r\n" +
                "Content-Type: text/event-stream; charset=utf-8\r\n" +
                "Cache-Control: no-cache\r\n" +
                "X-Accel-Buffering: no\r\n" +
                "Transfer-Encoding: chunked\r\n" +
                "Vary: Origin\r\n" +
                "Access-Control-Allow-Origin: https://a.example\r\n" +
                "Access-Control-Allow-Credentials: true\r\n" +
                "\r\n",
                stream.head());
        }
    }

    @Test
    void shouldOmitAllowOriginOnStreamForUnlistedOrigin() throws Exception
    {
        try (SseStream stream = SseStream.open(listedOrigins.httpPort(), "/events?topic=cors", "Origin: " + UNLISTED))
        {
            final RawResponse head = new RawResponse(stream.head(), new byte[0]);
            assertNull(head.header("Access-Control-Allow-Origin"));
            assertNull(head.header("Access-Control-Allow-Credentials"));
            assertVaryOrigin(head);
            assertFalse(stream.head().contains("*"));
        }
    }

    @Test
    void shouldEchoListedOriginWithCredentialsOnPublishAnswer() throws Exception
    {
        final RawResponse response = RawHttp.exchange(listedOrigins.httpPort(), "POST", "/publish?topic=cors",
            "text/plain", new byte[] {'x'}, "Origin: " + LISTED);

        assertEquals(200, response.status());
        assertEquals(LISTED, response.header("Access-Control-Allow-Origin"));
        assertEquals("true", response.header("Access-Control-Allow-Credentials"));
        assertVaryOrigin(response);
    }

    @Test
    void shouldOmitAllowOriginOnErrorAnswerForUnlistedOrigin() throws Exception
    {
        final RawResponse response = RawHttp.get(listedOrigins.httpPort(), "/nowhere", "Origin: " + UNLISTED);

        assertEquals(404, response.status());
        assertNull(response.header("Access-Control-Allow-Origin"));
        assertNull(response.header("Access-Control-Allow-Credentials"));
        assertVaryOrigin(response);
    }

    @Test
    void shouldAnswerPreflightForListedOriginWithThatOrigin() throws Exception
    {
        final RawResponse response = RawHttp.exchange(listedOrigins.httpPort(), "OPTIONS", "/events?topic=cors", null, null,
            "Origin: " + LISTED, "Access-Control-Request-Method: GET", "Access-Control-Request-Headers: last-event-id");

        assertEquals(204, response.status());
        assertEquals(LISTED, response.header("Access-Control-Allow-Origin"));
        assertEquals("true", response.header("Access-Control-Allow-Credentials"));
        assertVaryOrigin(response);
        assertEquals("GET, POST, OPTIONS", response.header("Access-Control-Allow-Methods"));
        assertEquals("last-event-id", response.header("Access-Control-Allow-Headers"));
    }

    @Test
    void shouldAnswerPreflightForUnlistedOriginWithoutAllowOrigin() throws Exception
    {
        final RawResponse response = RawHttp.exchange(listedOrigins.httpPort(), "OPTIONS", "/events?topic=cors", null, null,
            "Origin: " + UNLISTED, "Access-Control-Request-Method: GET");

        assertEquals(204, response.status());
        assertNull(response.header("Access-Control-Allow-Origin"));
        assertTrue(response.headers("Access-Control-Allow-Credentials").isEmpty());
    }

    /**
     * Field names are case-insensitive (RFC 9110, section 5.1), so {@code Vary: origin} is as good.
     */
    private static void assertVaryOrigin(final RawResponse response)
    {
        final String vary = response.header("Vary");
        assertTrue("origin".equalsIgnoreCase(vary), "Vary: " + vary);
    }
}

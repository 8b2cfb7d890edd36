package io.ssebroker.server.e2e;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.ExternalTools;
import io.ssebroker.server.testing.RawHttp;
import io.ssebroker.server.testing.RawResponse;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code POST /publish} with an {@code Idempotency-Key}: a retried request is taken once and answered
 * with the first id, on HTTP/1.1 and HTTP/2 alike; keys are per topic; a malformed key is a 400.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class IdempotencyKeyTest
{
    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();

    @Test
    void shouldTakeRetriedPublishOnceAndAnswerWithFirstId() throws Exception
    {
        final String topic = "idem-h1";
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=" + topic))
        {
            final long first = publish(topic, "once", "\"order-42\"");
            final long retry = publish(topic, "once", "order-42");
            assertEquals(first, retry, "the quoted and the bare form name the same key");

            final long marker = RawHttp.publish(broker.httpPort(), topic, "marker");
            assertEquals("once", stream.nextEvent().data());
            assertEquals(marker, stream.nextEvent().idAsLong(), "the retry was not delivered again");
        }
    }

    @Test
    void shouldScopeKeysToTheirTopic() throws Exception
    {
        final long a = publish("idem-scope-a", "x", "shared-key");
        final long b = publish("idem-scope-b", "x", "shared-key");
        assertNotEquals(a, b, "the same key on another topic is another publish");
    }

    @Test
    void shouldRejectMalformedKeyWith400() throws Exception
    {
        for (final String key : new String[] {"has space", "\"\"", "x".repeat(129), "caf\u00e9"})
        {
            final RawResponse response = RawHttp.exchange(broker.httpPort(), "POST", "/publish?topic=idem-bad",
                "text/plain", "x".getBytes(StandardCharsets.UTF_8), "Idempotency-Key: " + key);
            assertEquals(400, response.status(), key + ": " + response);
            assertTrue(response.bodyText().contains("Idempotency-Key"), response.bodyText());
        }
    }

    @Test
    void shouldTakeRetryOverHttp2OnceWithCurl() throws Exception
    {
        final String curl = ExternalTools.require("curl", "curl");
        final String topic = "idem-h2";
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=" + topic))
        {
            final long first = curlPublish(curl, topic, "via-h2", "h2-key");
            final long retry = curlPublish(curl, topic, "via-h2", "h2-key");
            assertEquals(first, retry);
            assertEquals(first, publish(topic, "via-h2", "h2-key"), "the key spans protocols");

            final long marker = RawHttp.publish(broker.httpPort(), topic, "marker");
            assertEquals("via-h2", stream.nextEvent().data());
            assertEquals(marker, stream.nextEvent().idAsLong());
        }
    }

    private static long publish(final String topic, final String data, final String key) throws Exception
    {
        final RawResponse response = RawHttp.exchange(broker.httpPort(), "POST", "/publish?topic=" + topic,
            "text/plain", data.getBytes(StandardCharsets.UTF_8), "Idempotency-Key: " + key);
        assertEquals(200, response.status(), response.toString());
        return Long.parseLong(response.bodyText().trim());
    }

    private static long curlPublish(final String curl, final String topic, final String data, final String key)
        throws Exception
    {
        final Process process = new ProcessBuilder(curl, "-sS", "--http2-prior-knowledge", "--max-time", "10",
            "-H", "Idempotency-Key: " + key, "-H", "Content-Type: text/plain", "--data-binary", data,
            "http://127.0.0.1:" + broker.httpPort() + "/publish?topic=" + topic)
            .redirectErrorStream(true)
            .start();
        assertTrue(process.waitFor(15, TimeUnit.SECONDS), "curl did not finish");
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, process.exitValue(), output);
        return Long.parseLong(output);
    }
}

package io.ssebroker.server.e2e;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.ssebroker.metrics.Counter;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.H2Wire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that starts HTTP/2 but never completes its preface (the client's SETTINGS frame after the
 * magic string) is closed at the request timeout and counted, like an HTTP/1.1 request that never
 * completes; one that completed its preface may stay idle past that timeout and still open streams.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Http2PrefaceTimeoutTest
{
    private static final int REQUEST_TIMEOUT_MS = 500;
    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.with(config -> config.requestTimeoutMs(REQUEST_TIMEOUT_MS));

    @Test
    void shouldCloseConnectionWhosePrefaceNeverCompletes() throws Exception
    {
        final long timeoutsBefore = broker.counters().get(Counter.HTTP_REQUEST_TIMEOUT);
        try (H2Wire wire = H2Wire.connect(broker.httpPort()))
        {
            // The magic string picks HTTP/2 on the cleartext port; the SETTINGS frame never follows.
            wire.raw(H2Wire.PREFACE).flush();
            final long startNs = System.nanoTime();
            // Our SETTINGS may come first; nothing else before the close.
            wire.awaitEnd(frame -> H2Wire.SETTINGS == frame.type(), WAIT);
            final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            assertTrue(elapsedMs >= REQUEST_TIMEOUT_MS / 2, "closed after " + elapsedMs + " ms, before the timeout");
        }
        assertEquals(timeoutsBefore + 1, broker.counters().get(Counter.HTTP_REQUEST_TIMEOUT));
    }

    @Test
    void shouldKeepIdleConnectionWhosePrefaceCompleted() throws Exception
    {
        final long timeoutsBefore = broker.counters().get(Counter.HTTP_REQUEST_TIMEOUT);
        try (H2Wire wire = H2Wire.connect(broker.httpPort()))
        {
            wire.preface();
            Thread.sleep(3L * REQUEST_TIMEOUT_MS);
            wire.headers(1, H2Wire.END_STREAM | H2Wire.END_HEADERS,
                H2Wire.requestBlock("GET", "/health", "127.0.0.1:" + broker.httpPort())).flush();
            final H2Wire.Frame body = wire.await("the health answer",
                frame -> H2Wire.DATA == frame.type() && 1 == frame.streamId(), WAIT);
            assertEquals("ok\n", body.text());
        }
        assertEquals(timeoutsBefore, broker.counters().get(Counter.HTTP_REQUEST_TIMEOUT));
    }
}

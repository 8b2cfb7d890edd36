package io.ssebroker.server.e2e;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.ssebroker.metrics.Counter;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.H2Wire;
import io.ssebroker.server.testing.H2cWitness;
import io.ssebroker.server.testing.RawHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connection whose window stays closed is evicted as a whole, not stream by stream: a client that
 * never returns the connection window (65,535 bytes by default) stalls every stream on it, so past
 * the grace period the broker sends GOAWAY, closes the connection and counts it; a subscriber on
 * another connection goes on receiving.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Http2SlowConnectionTest
{
    private static final long SLOW_GRACE_MS = 500;
    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.with(config -> config.slowGraceMs(SLOW_GRACE_MS));

    @Test
    void shouldEvictConnectionWhoseWindowStaysClosed() throws Exception
    {
        final String topic = "h2-slow-connection";
        final long evictedBefore = broker.counters().get(Counter.HTTP2_CONNECTIONS_EVICTED_SLOW);
        final long resetsBefore = broker.counters().get(Counter.HTTP2_STREAMS_RESET_SLOW);
        final H2cWitness witness = H2cWitness.open(broker.httpPort());
        try (H2Wire wire = H2Wire.connect(broker.httpPort()))
        {
            final String authority = "127.0.0.1:" + broker.httpPort();
            wire.preface()
                .headers(1, H2Wire.END_STREAM | H2Wire.END_HEADERS, H2Wire.requestBlock("GET", "/events?topic=" + topic, authority))
                .headers(3, H2Wire.END_STREAM | H2Wire.END_HEADERS, H2Wire.requestBlock("GET", "/events?topic=" + topic, authority))
                .flush();
            wire.await("the preamble", frame -> H2Wire.DATA == frame.type() && 3 == frame.streamId(), WAIT);

            // Two streams of 16 KB events: the connection window closes after four events, and the
            // client never sends WINDOW_UPDATE.
            final String data = "x".repeat(16_000);
            for (int i = 0; i < 8; i++)
            {
                RawHttp.publish(broker.httpPort(), topic, data);
            }
            witness.publish("while-the-connection-is-stalled");

            final H2Wire.Frame goAway = wire.awaitGoAway(WAIT);
            assertEquals(0, goAway.errorCode(), goAway.toString());
            assertTrue(goAway.debugData().contains("evicted"), goAway.toString());
            wire.awaitEnd(frame -> H2Wire.GOAWAY != frame.type(), WAIT);
        }
        assertEquals(evictedBefore + 1, broker.counters().get(Counter.HTTP2_CONNECTIONS_EVICTED_SLOW));
        assertEquals(resetsBefore, broker.counters().get(Counter.HTTP2_STREAMS_RESET_SLOW),
            "streams reset one by one instead of the connection going");
        witness.assertStillServing("after-eviction");
        witness.close();
    }
}

package io.ssebroker.server.e2e;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.netty.channel.Channel;
import io.ssebroker.client.IngestClient;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.http.HttpServerInitializer;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.RawHttpConnection;
import io.ssebroker.server.testing.SseEvent;
import io.ssebroker.server.testing.SseStream;
import io.ssebroker.server.testing.SseText;
import io.ssebroker.server.testing.browser.HeadlessChromium;
import io.ssebroker.server.testing.browser.Json;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker's own page ({@code GET /}) in headless Chromium with ten {@code EventSource}s on one
 * topic: over the TLS port the browser negotiates h2 by ALPN and multiplexes all ten streams on one
 * connection; over the cleartext HTTP/1.1 port it holds at most six connections per origin, so four
 * sources never connect. This is the reason the TLS port exists: a dashboard with more than six
 * streams works in a browser only over h2.
 * <p>
 * The page reports what it saw by publishing a JSON summary to a topic of the test's choosing
 * ({@code report=}) once every source has had an event; the test reads it from a subscription of its
 * own on the cleartext port. The self-signed certificate is for {@code CN=localhost} without a
 * subjectAltName, which Chromium rejects whatever the trust store says, so the test accepts exactly
 * that key with {@code --ignore-certificate-errors-spki-list}.
 *
 * <h2>What the broker sees, not only what the page says</h2>
 * The page's per-stream {@code nextHopProtocol} list comes from Resource Timing, and Chromium adds an
 * entry only when a response ends, so while the streams are open the list is empty. That the ten
 * streams share one h2 connection is therefore checked at the broker: ten streams opened, ten
 * subscribers live, one HTTP/2 connection counted, and one connection open on the TLS port, the
 * h2 one. Counting connections works because {@link HeadlessChromium} turns network prediction off;
 * with it on, Chromium preconnects twice at start-up and the broker counts two h2 connections, one
 * closed unused.
 * <p>
 * Unlike {@link BrowserEventSourceTest}, these tests fail rather than skip without {@code chromium}:
 * they are the only check that a real browser gets h2 from the TLS port.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@SuppressWarnings("try") // the browser is a try resource for its close, which kills it, not for use in the body
class BrowserHttp2Test
{
    private static final int SOURCES = 10;
    /** Chromium's limit of HTTP/1.1 connections per origin (its socket pool's per-group limit). */
    private static final int HTTP1_CONNECTIONS_PER_ORIGIN = 6;
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final long PUBLISH_INTERVAL_MS = 100;
    /** How long the HTTP/1.1 contrast watches for a seventh stream or a report that must not come. */
    private static final long HOLD_MS = 2_000;
    private static final String TOPIC = "dashboard";
    private static final String REPORT = "browser-report";

    @BeforeAll
    static void requireChromium()
    {
        assertNotNull(HeadlessChromium.executable(),
            "chromium is not on the PATH: install Debian's chromium package (apt-get install chromium), as .ci/run does");
    }

    @Test
    void shouldMultiplexTenEventSourcesOnOneH2ConnectionWhenPageIsLoadedOverTls() throws Exception
    {
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0).tlsPort(0).tlsSelfSigned(true));
            IngestClient publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "browser-h2-test");
            SseStream report = SseStream.open(broker.httpPort(), "/events?topic=" + REPORT))
        {
            final long h2ConnectionsBefore = broker.counters().get(Counter.HTTP2_CONNECTIONS);
            final long streamsBefore = broker.counters().get(Counter.STREAMS_OPENED);
            final URI page = URI.create("https://localhost:" + broker.tlsPort() + pageQuery());
            try (HeadlessChromium browser = HeadlessChromium.open(page,
                List.of("--ignore-certificate-errors-spki-list=" + broker.tls().spkiSha256Base64())))
            {
                final SseEvent event = publishUntilReport(publisher, report, DEADLINE.toMillis());
                assertNotNull(event, () -> "no report from the page within " + DEADLINE.toMillis() + " ms; " +
                    state(broker) + "\n" + browser.logTail());

                final Map<String, Object> summary = Json.parseObject(event.data());
                assertEquals((long)SOURCES, summary.get("sources"), event.data());
                final List<?> received = (List<?>)summary.get("received");
                assertEquals(SOURCES, received.size(), event.data());
                for (final Object count : received)
                {
                    assertTrue((Long)count >= 1, () -> "a source without events: " + event.data());
                }
                assertEquals("h2", summary.get("page"), event.data());
                // Empty while the streams are open (see the class Javadoc); whatever it lists must be h2.
                for (final Object protocol : (List<?>)summary.get("streams"))
                {
                    assertEquals("h2", protocol, event.data());
                }

                // The report stream was open before the browser started, on the cleartext port.
                assertEquals(SOURCES, broker.counters().get(Counter.STREAMS_OPENED) - streamsBefore,
                    () -> "streams opened by the browser; " + state(broker));
                assertEquals(1 + SOURCES, broker.subscribers(), () -> state(broker));
                assertEquals(1, broker.counters().get(Counter.HTTP2_CONNECTIONS) - h2ConnectionsBefore,
                    () -> "HTTP/2 connections for one page with " + SOURCES + " sources; " + state(broker));
                // Every source is same-origin, so on the TLS port; it holds one connection, the h2 one.
                final List<Channel> tls = channelsOnPort(broker, broker.tlsPort());
                assertEquals(1, tls.size(), () -> "connections on the TLS port: " + tls);
                assertNotNull(tls.get(0).pipeline().get(HttpServerInitializer.HTTP2),
                    () -> "the TLS connection is not HTTP/2: " + tls.get(0).pipeline().names());
            }
        }
    }

    @Test
    void shouldConnectOnlySixEventSourcesWhenPageIsLoadedOverHttp11() throws Exception
    {
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0));
            IngestClient publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "browser-h1-test");
            SseStream report = SseStream.open(broker.httpPort(), "/events?topic=" + REPORT))
        {
            // The test's own report subscription is one of the broker's subscribers.
            final int expected = 1 + HTTP1_CONNECTIONS_PER_ORIGIN;
            final URI page = URI.create("http://127.0.0.1:" + broker.httpPort() + pageQuery());
            try (HeadlessChromium browser = HeadlessChromium.open(page))
            {
                Await.until(() -> expected + " subscribers (the report stream and six sources); " + state(broker) +
                    "\n" + browser.logTail(), () -> broker.subscribers() >= expected, DEADLINE);

                // Events keep flowing to the six connected sources; the other four stay CONNECTING, so
                // the page never reports and the broker never sees a seventh stream.
                final long holdDeadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HOLD_MS);
                final List<Integer> seen = new ArrayList<>();
                SseEvent event = null;
                while (null == event && System.nanoTime() - holdDeadlineNs < 0)
                {
                    seen.add(broker.subscribers());
                    event = publishAndPoll(publisher, report);
                }
                seen.add(broker.subscribers());
                assertNull(event, "the page reported that all " + SOURCES + " sources had events over HTTP/1.1");
                for (final int subscribers : seen)
                {
                    assertEquals(expected, subscribers, () -> "subscribers sampled while holding: " + seen);
                }
                assertEquals(HTTP1_CONNECTIONS_PER_ORIGIN, broker.counters().get(Counter.STREAMS_OPENED) - 1,
                    () -> "streams opened by the browser; " + state(broker));
                assertEquals(0, broker.counters().get(Counter.HTTP2_CONNECTIONS));
            }
        }
    }

    private static String pageQuery()
    {
        return "/?topic=" + TOPIC + "&streams=" + SOURCES + "&report=" + REPORT;
    }

    /**
     * Publishes to the page's topic every {@link #PUBLISH_INTERVAL_MS} until the page's report
     * arrives, for at most {@code timeoutMs}.
     *
     * @return the report, or null when none arrived in time.
     */
    private static SseEvent publishUntilReport(final IngestClient publisher, final SseStream report, final long timeoutMs)
        throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        SseEvent event = null;
        while (null == event && System.nanoTime() - deadlineNs < 0)
        {
            event = publishAndPoll(publisher, report);
        }
        return event;
    }

    /**
     * Publishes one event to the page's topic, then waits up to {@link #PUBLISH_INTERVAL_MS} for the
     * report stream's next chunk.
     *
     * @return the report, or null when nothing but a heartbeat (or nothing) arrived.
     */
    private static SseEvent publishAndPoll(final IngestClient publisher, final SseStream report) throws Exception
    {
        publisher.publish(TOPIC, null, "tick".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
        final int next = report.connection().peek((int)PUBLISH_INTERVAL_MS);
        if (RawHttpConnection.TIMED_OUT == next)
        {
            return null;
        }
        if (next < 0)
        {
            throw new IOException("the broker closed the report stream");
        }
        final String payload = SseStream.payloadText(report.nextChunk());
        return ":\n\n".equals(payload) ? null : SseText.single(payload);
    }

    private static List<Channel> channelsOnPort(final Broker broker, final int port)
    {
        final List<Channel> channels = new ArrayList<>();
        for (final Channel channel : broker.httpChannels())
        {
            if (channel.isActive() && port == ((InetSocketAddress)channel.localAddress()).getPort())
            {
                channels.add(channel);
            }
        }
        return channels;
    }

    private static String state(final Broker broker)
    {
        return "subscribers " + broker.subscribers() +
            ", streams opened " + broker.counters().get(Counter.STREAMS_OPENED) +
            ", HTTP/2 connections " + broker.counters().get(Counter.HTTP2_CONNECTIONS) +
            ", HTTP requests " + broker.counters().get(Counter.HTTP_REQUESTS) +
            ", not found " + broker.counters().get(Counter.HTTP_NOT_FOUND);
    }
}

package io.ssebroker.server.e2e;

import io.ssebroker.client.IngestClient;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.demo.DemoFeed;
import io.ssebroker.server.testing.CuttableProxy;
import io.ssebroker.server.testing.RawHttp;
import io.ssebroker.server.testing.browser.WebDriverSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The built-in pages in a real browser (Debian's headless Chromium through WebDriver): {@code /} shows the demo
 * tickers moving, lists a {@code reset}, and after a forced disconnect resumes with no gap and no duplicate;
 * {@code /dashboard}'s numbers move when a publisher sends. Screenshots of both pages go to
 * {@code target/screenshots/} (the README's come from there, docs/screenshots).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LivePagesBrowserTest
{
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    @Test
    void shouldShowTheDemoTickersMoving() throws Exception
    {
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0));
             DemoFeed feed = DemoFeed.start("127.0.0.1", broker.ingestPort(), null, 100);
             WebDriverSession page = WebDriverSession.open(URI.create("http://127.0.0.1:" + broker.httpPort() + "/")))
        {
            page.waitUntil("every ticker has quotes", "window.sse.sources.length === 4 && " +
                "window.sse.sources.every(s => s.events.length >= 5)", WAIT);
            page.waitUntil("the connection shown as open", "document.getElementById('connection').dataset.state === 'open'", WAIT);
            final String before = (String)page.eval("document.querySelector('[data-topic=\"ticker.AAPL\"] .price').textContent");
            page.waitUntil("the AAPL price changing on screen",
                "document.querySelector('[data-topic=\"ticker.AAPL\"] .price').textContent !== '" + before + "'", WAIT);
            assertTrue(before.matches("[0-9]+\\.[0-9]+"), "a price on screen: " + before);
            page.waitUntil("a price flashing up or down", "document.querySelectorAll('.price.up, .price.down').length > 0", WAIT);
            page.screenshot(SCREENSHOTS.resolve("index.png"));
        }
    }

    @Test
    void shouldResumeWithNoGapAfterAForcedDisconnect() throws Exception
    {
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0).retryMs(200));
             CuttableProxy proxy = new CuttableProxy(broker.httpPort());
             WebDriverSession page = WebDriverSession.open(URI.create("http://127.0.0.1:" + proxy.port() + "/?topic=seq")))
        {
            page.waitUntil("the stream open", "window.sse.sources[0].opens === 1", WAIT);
            final List<Long> ids = new ArrayList<>();
            for (int i = 1; i <= 5; i++)
            {
                ids.add(RawHttp.publish(broker.httpPort(), "seq", "n" + i));
            }
            page.waitUntil("five events", "window.sse.sources[0].events.length === 5", WAIT);

            assertTrue(proxy.cut() >= 1, "the page's stream went through the proxy");
            // Published while the browser is cut off: it must get them on its resume, from history.
            for (int i = 6; i <= 10; i++)
            {
                ids.add(RawHttp.publish(broker.httpPort(), "seq", "n" + i));
            }
            page.waitUntil("the stream reopened", "window.sse.sources[0].opens >= 2", WAIT);
            page.waitUntil("ten events", "window.sse.sources[0].events.length >= 10", WAIT);
            for (int i = 11; i <= 12; i++)
            {
                ids.add(RawHttp.publish(broker.httpPort(), "seq", "n" + i));
            }
            page.waitUntil("twelve events", "window.sse.sources[0].events.length >= 12", WAIT);

            @SuppressWarnings("unchecked")
            final List<Map<String, Object>> events = (List<Map<String, Object>>)page.eval("window.sse.sources[0].events");
            final List<String> data = new ArrayList<>();
            final List<Long> seen = new ArrayList<>();
            for (final Map<String, Object> event : events)
            {
                data.add((String)event.get("data"));
                seen.add(Long.parseLong((String)event.get("id")));
            }
            final List<String> expected = new ArrayList<>();
            for (int i = 1; i <= 12; i++)
            {
                expected.add("n" + i);
            }
            assertEquals(expected, data, "every event once, in order, across the disconnect");
            assertEquals(ids, seen);
            assertTrue(page.number("Number(document.getElementById('connection').dataset.reconnects)") >= 1);
            assertTrue(page.number("Number(document.getElementById('connection').dataset.resumes)") >= 1);
            assertEquals(0, page.number("window.sse.resets.length"));
        }
    }

    @Test
    void shouldListAResetWhenHistoryNoLongerReachesBack() throws Exception
    {
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0).historyCount(2)))
        {
            final long first = RawHttp.publish(broker.httpPort(), "short", "a");
            for (int i = 0; i < 4; i++)
            {
                RawHttp.publish(broker.httpPort(), "short", "b" + i);
            }
            try (WebDriverSession page = WebDriverSession.open(URI.create(
                "http://127.0.0.1:" + broker.httpPort() + "/?topic=short&lastEventId=" + first)))
            {
                page.waitUntil("a reset listed", "window.sse.resets.length === 1 && " +
                    "!document.getElementById('resets').hidden", WAIT);
                final String reset = (String)page.eval("window.sse.resets[0].data");
                assertTrue(reset.contains("history-truncated"), reset);
                // Then the retained events, exactly the two the history holds.
                page.waitUntil("the retained events", "window.sse.sources[0].events.length === 2", WAIT);
                assertEquals("b2", page.eval("window.sse.sources[0].events[0].data"));
                assertEquals("b3", page.eval("window.sse.sources[0].events[1].data"));
            }
        }
    }

    @Test
    void shouldMoveTheDashboardNumbersWhenAPublisherSends() throws Exception
    {
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0));
             WebDriverSession page = WebDriverSession.open(URI.create("http://127.0.0.1:" + broker.httpPort() + "/dashboard"));
             IngestClient publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "dashboard-test"))
        {
            page.waitUntil("two updates", "window.dashboard.updates >= 2", WAIT);
            final long before = page.number("window.dashboard.last.eventsIn");
            assertEquals(1, page.number("window.dashboard.last.subscribers.total"), "the dashboard's own stream");

            final List<CompletableFuture<Long>> acks = new ArrayList<>();
            for (int i = 0; i < 500; i++)
            {
                acks.add(publisher.publish("dash.load", null, ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
            }
            for (final CompletableFuture<Long> ack : acks)
            {
                ack.get(10, TimeUnit.SECONDS);
            }
            page.waitUntil("the events counted", "window.dashboard.last.eventsIn >= " + (before + 500), WAIT);
            page.waitUntil("a rate above zero shown", "window.dashboard.updates > 0 && " +
                "Number(document.getElementById('eventsInPerS').textContent.replace(/,/g, '')) > 0 || " +
                "window.dashboard.last.eventsInPerS > 0", WAIT);
            final String shown = (String)page.eval("document.getElementById('eventsIn').textContent");
            assertTrue(Long.parseLong(shown.replace(",", "")) >= before + 500, "the number on screen: " + shown);
            page.waitUntil("a latency percentile shown", "document.getElementById('latencyP99').textContent !== '–'", WAIT);
            page.screenshot(SCREENSHOTS.resolve("dashboard.png"));
        }
    }
}

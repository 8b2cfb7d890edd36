package io.ssebroker.server.e2e;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.netty.channel.Channel;
import io.ssebroker.client.IngestClient;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.browser.EventSourcePage;
import io.ssebroker.server.testing.browser.HeadlessChromium;
import io.ssebroker.server.testing.browser.Json;
import io.ssebroker.server.testing.browser.PageEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real browser's {@code EventSource} against the broker: headless Chromium loads a page from a
 * second loopback origin ({@link EventSourcePage}), so every stream is cross-origin and goes through
 * the broker's CORS answers, and the page reports what its source dispatched. What is checked is what
 * application code in a browser sees: {@code event.type}, {@code event.data}, {@code event.lastEventId},
 * {@code open} and {@code error} with the source's {@code readyState}, and the browser's own
 * reconnection with {@code Last-Event-ID} after the {@code retry:} delay.
 * <p>
 * Each test has its own page server, broker and browser; the browser is killed (with everything it
 * started) when the test ends, pass or fail. Skipped where {@code chromium} is not installed; CI
 * installs it ({@code .ci/run}).
 */
@Timeout(value = 45, unit = TimeUnit.SECONDS)
@SuppressWarnings("try") // the browser is a try resource for its close, which kills it, not for use in the body
class BrowserEventSourceTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final String HTTP_CODEC = "http-codec";
    private static final String STREAM_HANDLER = "SseStreamHandler";

    @BeforeAll
    static void requireChromium()
    {
        assumeTrue(null != HeadlessChromium.executable(), "chromium is not installed");
    }

    @Test
    void shouldDispatchNamedAndMessageEventsWithExactDataAndPublishedIdsOnTwoTopicStream() throws Exception
    {
        // topic, event name (null: message), payload as published, event.data the browser must show
        final String[][] cases = {
            {"A", "quote", "{\"sym\":\"AAPL\",\"bid\":189.52,\"ask\":189.54}", "{\"sym\":\"AAPL\",\"bid\":189.52,\"ask\":189.54}"},
            {"B", null, "first line\nsecond line", "first line\nsecond line"},
            {"A", null, "crlf one\r\ncrlf two\r\n\r\nafter a blank line", "crlf one\ncrlf two\n\nafter a blank line"},
            {"B", "quote", "cr one\rcr two", "cr one\ncr two"},
            {"A", null, "mixed\r\nbreaks\nand\rtrailing\n", "mixed\nbreaks\nand\ntrailing\n"},
            {"B", null, "LF then CR\n\ris two breaks", "LF then CR\n\nis two breaks"},
            {"A", "quote", "Grüße aus Zürich — 東京 €5 🚀", "Grüße aus Zürich — 東京 €5 🚀"},
            {"B", null, "\u00e9 is not e\u0301, \u200b stays, \ufeff too", "\u00e9 is not e\u0301, \u200b stays, \ufeff too"},
            {"A", null, " leading space: kept after the field's own space ", " leading space: kept after the field's own space "},
        };
        try (EventSourcePage page = EventSourcePage.start();
            Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0));
            IngestClient publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "browser-test");
            HeadlessChromium browser = page.launch(streamUrl(broker, "topic=A&topic=B"), false))
        {
            awaitSubscribed(page, broker, 1);

            final List<PageEntry> expected = new ArrayList<>(List.of(PageEntry.open()));
            for (final String[] c : cases)
            {
                final long id = publish(publisher, c[0], c[1], c[2]);
                expected.add(PageEntry.event(null == c[1] ? "message" : c[1], c[3], Long.toString(id)));
            }

            assertEquals(expected, page.await(cases.length + " events", entries -> events(entries) >= cases.length, DEADLINE));
        }
    }

    @Test
    void shouldResumeWithoutGapOrDuplicateWhenBrowserReconnectsByItselfAfterBrokerEndsStream() throws Exception
    {
        final int rounds = 3;
        try (EventSourcePage page = EventSourcePage.start();
            Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0).retryMs(200));
            IngestClient publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "browser-test");
            HeadlessChromium browser = page.launch(streamUrl(broker, "topic=R"), false))
        {
            awaitSubscribed(page, broker, 1);
            final List<PageEntry> expected = new ArrayList<>(List.of(PageEntry.open()));
            int published = 0;
            for (; published < 3; published++)
            {
                expected.add(messageEvent(publish(publisher, "R", null, "r" + published), "r" + published));
            }
            awaitEvents(page, published);

            int gapsBeforeReconnect = 0;
            for (int round = 1; round <= rounds; round++)
            {
                closeStreamServerSide(broker);
                expected.add(PageEntry.error(PageEntry.CONNECTING));
                expected.add(PageEntry.open());
                final List<CompletableFuture<Long>> gap = new ArrayList<>();
                for (int i = 0; i < 4; i++)
                {
                    gap.add(publisher.publish("R", null, ("r" + (published + i)).getBytes(StandardCharsets.UTF_8)));
                }
                for (final CompletableFuture<Long> ack : gap)
                {
                    expected.add(messageEvent(ack.get(10, TimeUnit.SECONDS), "r" + published++));
                }
                // Acknowledged means sequenced: if no new stream was opened by now, these events can
                // only reach the browser through its Last-Event-ID.
                if (round == broker.counters().get(Counter.STREAMS_OPENED))
                {
                    gapsBeforeReconnect++;
                }
                awaitEvents(page, published);
                awaitSubscribed(page, broker, round + 1);
            }
            assertTrue(gapsBeforeReconnect > 0,
                "the browser reconnected before the events of every gap were published; nothing was resumed");

            for (int i = 0; i < 3; i++, published++)
            {
                expected.add(messageEvent(publish(publisher, "R", null, "r" + published), "r" + published));
            }
            assertEquals(expected, awaitEvents(page, published));
            assertEquals(rounds + 1, broker.counters().get(Counter.STREAMS_OPENED));
        }
    }

    @Test
    void shouldDispatchResetThenRetainedEventsWhenBrowserReconnectsPastHistory() throws Exception
    {
        final int history = 3;
        final int gapEvents = 10;
        try (EventSourcePage page = EventSourcePage.start();
            Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0)
                .historyCount(history).retryMs(1500));
            IngestClient publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "browser-test");
            HeadlessChromium browser = page.launch(streamUrl(broker, "topic=T"), false))
        {
            awaitSubscribed(page, broker, 1);
            final long first = publish(publisher, "T", null, "before-0");
            final long second = publish(publisher, "T", null, "before-1");
            awaitEvents(page, 2);

            closeStreamServerSide(broker);
            final List<CompletableFuture<Long>> acks = new ArrayList<>();
            for (int i = 0; i < gapEvents; i++)
            {
                acks.add(publisher.publish("T", null, ("gap-" + i).getBytes(StandardCharsets.UTF_8)));
            }
            final List<Long> gap = new ArrayList<>();
            for (final CompletableFuture<Long> ack : acks)
            {
                gap.add(ack.get(10, TimeUnit.SECONDS));
            }
            assertEquals(1, broker.counters().get(Counter.STREAMS_OPENED),
                "the browser reconnected within its retry delay, before the gap was published");

            awaitEvents(page, 2 + 1 + history);
            final long live = publish(publisher, "T", null, "live");
            final List<PageEntry> entries = awaitEvents(page, 2 + 1 + history + 1);

            final List<PageEntry> expected = new ArrayList<>(List.of(
                PageEntry.open(),
                messageEvent(first, "before-0"),
                messageEvent(second, "before-1"),
                PageEntry.error(PageEntry.CONNECTING),
                PageEntry.open()));
            final PageEntry reset = entries.get(expected.size());
            // No id: field on the reset, so it carries (and keeps) the id the browser resumed from.
            expected.add(PageEntry.event("reset", reset.data(), Long.toString(second)));
            for (int i = gapEvents - history; i < gapEvents; i++)
            {
                expected.add(messageEvent(gap.get(i), "gap-" + i));
            }
            expected.add(messageEvent(live, "live"));
            assertEquals(expected, entries);
            assertEquals(
                Map.of(
                    "reason", "history-truncated",
                    "lastEventId", Long.toString(second),
                    "oldestRetainedId", Long.toString(gap.get(gapEvents - history)),
                    "headId", Long.toString(gap.get(gapEvents - 1))),
                Json.parseObject(reset.data()));
        }
    }

    @Test
    void shouldStreamWithCredentialsToPageFromListedOrigin() throws Exception
    {
        try (EventSourcePage page = EventSourcePage.start();
            Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0)
                .corsOrigins(List.of(page.origin())));
            IngestClient publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "browser-test"))
        {
            final long first = publish(publisher, "C", null, "retained-0");
            final long second = publish(publisher, "C", "quote", "retained-1");
            try (HeadlessChromium browser = page.launch(streamFromStartOfRun(broker, "C"), true))
            {
                awaitSubscribed(page, broker, 1);
                final long live = publish(publisher, "C", null, "live");

                assertEquals(
                    List.of(
                        PageEntry.open(),
                        messageEvent(first, "retained-0"),
                        PageEntry.event("quote", "retained-1", Long.toString(second)),
                        messageEvent(live, "live")),
                    awaitEvents(page, 3));
            }
        }
    }

    @Test
    void shouldFailEventSourceWithoutEventsWhenPageOriginIsNotListed() throws Exception
    {
        try (EventSourcePage page = EventSourcePage.start())
        {
            // Same host and port under another name: a different origin, which must not match.
            final String nearMiss = page.origin().replace("127.0.0.1", "localhost");
            try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0)
                    .corsOrigins(List.of(nearMiss)));
                IngestClient publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "browser-test"))
            {
                publish(publisher, "C", null, "retained-0");
                publish(publisher, "C", "quote", "retained-1");
                try (HeadlessChromium browser = page.launch(streamFromStartOfRun(broker, "C"), true))
                {
                    final List<PageEntry> entries = page.await("the source's first open or error", e -> !e.isEmpty(), DEADLINE);

                    // The request did reach the broker, which streamed; the browser withheld the response.
                    assertEquals(1, broker.counters().get(Counter.STREAMS_OPENED));
                    // CLOSED is final: the source never dispatches anything after it.
                    assertEquals(List.of(PageEntry.error(PageEntry.CLOSED)), entries);
                }
            }
        }
    }

    /**
     * Waits until the page's source is open and the broker has registered the stream as its
     * {@code opened}-th, so that whatever is published next is live for it.
     */
    private static void awaitSubscribed(final EventSourcePage page, final Broker broker, final int opened)
    {
        page.await("open #" + opened, entries -> count(entries, "open") >= opened, DEADLINE);
        Await.until("stream #" + opened + " registered",
            () -> opened == broker.counters().get(Counter.STREAMS_OPENED) && 1 == broker.subscribers(), DEADLINE);
    }

    private static List<PageEntry> awaitEvents(final EventSourcePage page, final int events)
    {
        return page.await(events + " events", entries -> events(entries) >= events, DEADLINE);
    }

    /**
     * Closes the one event stream's connection from the broker's side, as a broker restart or a proxy
     * timeout would: the browser sees the connection end and reconnects after the {@code retry:} delay.
     */
    private static void closeStreamServerSide(final Broker broker)
    {
        final List<Channel> streams = new ArrayList<>();
        for (final Channel channel : broker.httpChannels())
        {
            // A connection that carries a stream has swapped the HTTP codec for the stream handler
            // (HttpServerInitializer), which Netty names after its class.
            if (channel.isActive() && null == channel.pipeline().get(HTTP_CODEC) &&
                channel.pipeline().names().stream().anyMatch(name -> name.startsWith(STREAM_HANDLER)))
            {
                streams.add(channel);
            }
        }
        assertEquals(1, streams.size(), "event streams open on the broker");
        assertTrue(streams.get(0).close().awaitUninterruptibly(10, TimeUnit.SECONDS), "closing the stream");
    }

    private static long publish(final IngestClient publisher, final String topic, final String event, final String data)
        throws Exception
    {
        return publisher.publish(topic, event, data.getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
    }

    private static PageEntry messageEvent(final long id, final String data)
    {
        return PageEntry.event("message", data, Long.toString(id));
    }

    private static String streamUrl(final Broker broker, final String query)
    {
        return "http://127.0.0.1:" + broker.httpPort() + "/events?" + query;
    }

    /**
     * A stream that replays everything this broker run has retained for the topic: the id just
     * before the run's first id is a resume point that loses nothing.
     */
    private static String streamFromStartOfRun(final Broker broker, final String topic)
    {
        return streamUrl(broker, "topic=" + topic + "&lastEventId=" + (broker.epochId() - 1));
    }

    private static int events(final List<PageEntry> entries)
    {
        int events = 0;
        for (final PageEntry entry : entries)
        {
            if (entry.isEvent())
            {
                events++;
            }
        }
        return events;
    }

    private static int count(final List<PageEntry> entries, final String type)
    {
        int count = 0;
        for (final PageEntry entry : entries)
        {
            if (type.equals(entry.type()))
            {
                count++;
            }
        }
        return count;
    }
}

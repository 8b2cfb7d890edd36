package io.ssebroker.server.e2e;

import java.util.concurrent.TimeUnit;

import io.ssebroker.metrics.Counter;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.ExternalTools;
import io.ssebroker.server.testing.RawHttp;
import io.ssebroker.server.testing.SseStream;
import io.ssebroker.server.testing.SseText;
import io.ssebroker.server.testing.ToolProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * curl (built on nghttp2) as an HTTP/2 subscriber and publisher: h2c with prior knowledge and h2c
 * upgraded from HTTP/1.1. curl's verbose trace on stderr says which protocol it spoke, and the
 * broker's counters say which it served, so an HTTP/1.1 fallback fails the test. Every curl run is
 * bounded by its own {@code --max-time}.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Http2CurlTest
{
    private static final String PREAMBLE = "retry: 3000\n: ok\n\n";

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();

    private static String curl;

    @BeforeAll
    static void requireCurl()
    {
        curl = ExternalTools.require("curl", "curl");
    }

    @Test
    void shouldStreamPublishedEventToCurlWithHttp2PriorKnowledge() throws Exception
    {
        final long connections = broker.counters().get(Counter.HTTP2_CONNECTIONS);
        final long upgrades = broker.counters().get(Counter.HTTP2_UPGRADES);
        try (ToolProcess stream = ToolProcess.start(curl, "-sS", "-v", "-N", "--http2-prior-knowledge",
            "--max-time", "20", url("/events?topic=h2-curl-pk")))
        {
            awaitStdout(stream, PREAMBLE);
            final String trace = awaitTrace(stream, "< HTTP/2 200 \r\n");
            assertTrue(trace.contains("> GET /events?topic=h2-curl-pk HTTP/2\r\n"), trace);
            assertTrue(!trace.contains("HTTP/1.1"), trace);

            final long id = RawHttp.publish(broker.httpPort(), "h2-curl-pk", "x");

            awaitStdout(stream, PREAMBLE + "id: " + id + "\ndata: x\n\n");
        }
        assertEquals(connections + 1, broker.counters().get(Counter.HTTP2_CONNECTIONS), "HTTP/2 connections served");
        assertEquals(upgrades, broker.counters().get(Counter.HTTP2_UPGRADES), "prior knowledge is not an upgrade");
    }

    @Test
    void shouldStreamPublishedEventToCurlAfterUpgradeToH2c() throws Exception
    {
        final long connections = broker.counters().get(Counter.HTTP2_CONNECTIONS);
        final long upgrades = broker.counters().get(Counter.HTTP2_UPGRADES);
        try (ToolProcess stream = ToolProcess.start(curl, "-sS", "-v", "-N", "--http2",
            "--max-time", "20", url("/events?topic=h2-curl-up")))
        {
            awaitStdout(stream, PREAMBLE);
            final String trace = awaitTrace(stream, "< HTTP/2 200 \r\n");
            assertTrue(trace.contains("> GET /events?topic=h2-curl-up HTTP/1.1\r\n"), trace);
            assertTrue(trace.contains("> Upgrade: h2c\r\n"), trace);
            assertTrue(trace.contains("< HTTP/1.1 101 Switching Protocols\r\n"), trace);
            assertTrue(trace.indexOf("< HTTP/2 200 \r\n") > trace.indexOf("< HTTP/1.1 101 "), trace);

            final long id = RawHttp.publish(broker.httpPort(), "h2-curl-up", "x");

            awaitStdout(stream, PREAMBLE + "id: " + id + "\ndata: x\n\n");
        }
        assertEquals(connections + 1, broker.counters().get(Counter.HTTP2_CONNECTIONS), "HTTP/2 connections served");
        assertEquals(upgrades + 1, broker.counters().get(Counter.HTTP2_UPGRADES), "h2c upgrades served");
    }

    @Test
    void shouldAnswerIdToCurlPublishingOverHttp2() throws Exception
    {
        try (SseStream subscriber = SseStream.open(broker.httpPort(), "/events?topic=h2-curl-pub"))
        {
            final String answer;
            try (ToolProcess publish = ToolProcess.start(curl, "-sS", "--http2-prior-knowledge", "--max-time", "10",
                "-w", "\n%{http_code} %{http_version}",
                "--data-urlencode", "topic=h2-curl-pub", "--data-urlencode", "data=over h2",
                url("/publish")))
            {
                assertEquals(0, publish.awaitExit(15_000), "curl exit status; stderr: " + publish.stderr());
                answer = publish.stdout();
            }

            assertTrue(answer.matches("[0-9]+\n200 2"), "curl publish answered " + SseText.printable(answer));
            final String id = answer.substring(0, answer.indexOf('\n'));
            assertEquals(SseStream.chunkOf("id: " + id + "\ndata: over h2\n\n"), subscriber.nextChunkText());
        }
    }

    /**
     * Waits until curl has written at least as much as expected, then compares exactly.
     */
    private static void awaitStdout(final ToolProcess curlProcess, final String expected)
    {
        Await.until(() -> "curl to print " + SseText.printable(expected) + ", printed " +
            SseText.printable(curlProcess.stdout()) + "; stderr: " + curlProcess.stderr(),
            () -> curlProcess.stdout().length() >= expected.length() || !curlProcess.isAlive(),
            java.time.Duration.ofSeconds(10));
        assertEquals(expected, curlProcess.stdout(), () -> "curl stderr: " + curlProcess.stderr());
    }

    /**
     * Waits until curl's verbose trace contains {@code line} and returns the trace so far.
     */
    private static String awaitTrace(final ToolProcess curlProcess, final String line)
    {
        Await.until(() -> "curl's trace to show " + SseText.printable(line) + ": " + curlProcess.stderr(),
            () -> curlProcess.stderr().contains(line), java.time.Duration.ofSeconds(10));
        return curlProcess.stderr();
    }

    private static String url(final String target)
    {
        return "http://127.0.0.1:" + broker.httpPort() + target;
    }
}

package io.ssebroker.server.e2e;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.handler.codec.http2.Http2Error;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.ExternalTools;
import io.ssebroker.server.testing.H2cTestClient;
import io.ssebroker.server.testing.RawHttp;
import io.ssebroker.server.testing.ToolProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Broker#close()} ends HTTP/2 subscriptions as gracefully as HTTP/1.1 ones: GOAWAY
 * {@code NO_ERROR} first (no new streams, the open ones are kept), then each stream ends with
 * END_STREAM, not RST_STREAM, so the client reconnects elsewhere instead of reporting an error,
 * and the connection closes, all well within the shutdown timeout.
 * <p>
 * <b>Regression:</b> both tests failed when {@code Http2BrokerHandler} answered
 * {@code BrokerEvent.SHUTDOWN} with {@code ctx.close()}: a context's close starts at the handler
 * <i>before</i> it, so Http2ConnectionHandler's own graceful close (wait for the open streams) was
 * skipped and the socket closed right after GOAWAY, before any stream got END_STREAM (curl: "HTTP/2
 * stream 1 was not closed cleanly before end of the underlying stream").
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Http2ShutdownTest
{
    private static final long SHUTDOWN_TIMEOUT_MS = 5_000;

    private Broker broker;

    @BeforeEach
    void startBroker() throws InterruptedException
    {
        broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0).shutdownTimeoutMs(SHUTDOWN_TIMEOUT_MS));
    }

    @AfterEach
    void stopBroker()
    {
        broker.close();
    }

    @Test
    void shouldSendGoAwayThenEndStreamCleanlyOnClose() throws Exception
    {
        try (H2cTestClient client = H2cTestClient.connect(broker.httpPort()))
        {
            final int streamId = client.get("/events?topic=h2-closing");
            assertEquals(H2cTestClient.PREAMBLE, client.awaitText(streamId, H2cTestClient.PREAMBLE));
            final long id = RawHttp.publish(broker.httpPort(), "h2-closing", "last words");
            final String received = H2cTestClient.PREAMBLE + "id: " + id + "\ndata: last words\n\n";
            assertEquals(received, client.awaitText(streamId, received));

            final long startNs = System.nanoTime();
            broker.close();

            Await.until(() -> "the stream to end and the connection to close; client saw " + client.timeline(),
                () -> client.ended(streamId) && !client.isOpen(), Duration.ofMillis(SHUTDOWN_TIMEOUT_MS));
            final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);

            final List<String> timeline = client.timeline();
            assertEquals(-1, client.resetCode(streamId), "the stream must end, not be reset: " + timeline);
            assertEquals(received, client.text(streamId), "nothing but END_STREAM after the last event");
            assertTrue(client.errors().isEmpty(), "protocol errors: " + client.errors());

            final List<H2cTestClient.GoAway> goAways = client.goAways();
            assertTrue(!goAways.isEmpty(), "GOAWAY before the close: " + timeline);
            for (final H2cTestClient.GoAway goAway : goAways)
            {
                assertEquals(Http2Error.NO_ERROR, goAway.error(), "shutdown is not an error: " + goAway);
                assertTrue(goAway.lastStreamId() >= streamId, "GOAWAY must keep the open stream: " + goAway);
            }
            final int goAway = indexOf(timeline, "GOAWAY ");
            final int end = timeline.indexOf("END_STREAM " + streamId);
            final int closed = timeline.indexOf("CLOSED");
            assertTrue(goAway >= 0 && goAway < end && end < closed, "GOAWAY, then END_STREAM, then close: " + timeline);
            assertTrue(elapsedMs < SHUTDOWN_TIMEOUT_MS, "took " + elapsedMs + " ms, as long as the timeout");
        }
    }

    @Test
    void shouldLetCurlSubscribedByUpgradeExitCleanlyOnClose() throws Exception
    {
        final String curl = ExternalTools.require("curl", "curl");
        try (ToolProcess stream = ToolProcess.start(curl, "-sS", "-v", "-N", "--http2", "--max-time", "20",
            "http://127.0.0.1:" + broker.httpPort() + "/events?topic=h2-closing-curl"))
        {
            Await.until(() -> "curl to receive the preamble: " + stream.stderr(),
                () -> stream.stdout().equals(H2cTestClient.PREAMBLE) && stream.stderr().contains("< HTTP/2 200"),
                Duration.ofSeconds(10));

            broker.close();

            // curl exits 0 only when the stream ended cleanly: a reset is exit 92, a cut connection 18 or 56.
            assertEquals(0, stream.awaitExit(SHUTDOWN_TIMEOUT_MS), "curl exit status; trace: " + stream.stderr());
            assertEquals(H2cTestClient.PREAMBLE, stream.stdout());
        }
    }

    private static int indexOf(final List<String> timeline, final String prefix)
    {
        for (int i = 0; i < timeline.size(); i++)
        {
            if (timeline.get(i).startsWith(prefix))
            {
                return i;
            }
        }
        return -1;
    }
}

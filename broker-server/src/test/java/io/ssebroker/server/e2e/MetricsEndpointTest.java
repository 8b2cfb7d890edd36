package io.ssebroker.server.e2e;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.prometheus.metrics.expositionformats.generated.com_google_protobuf_4_36_2.Metrics;
import io.ssebroker.client.IngestClient;
import io.ssebroker.client.IngestErrorCode;
import io.ssebroker.client.IngestException;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.ExternalTools;
import io.ssebroker.server.testing.JdkHttp;
import io.ssebroker.server.testing.ProtobufScrape;
import io.ssebroker.server.testing.RawHttp;
import io.ssebroker.server.testing.SseStream;
import io.ssebroker.server.testing.ToolProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /metrics} in the Prometheus text format over HTTP/1.1 and h2c (curl), with values that follow
 * what the broker did, and {@code /ready} for readiness. Each test has a broker of its own, so every
 * value is known exactly.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MetricsEndpointTest
{
    @Test
    void shouldExposeCountersThatFollowPublishesAndDeliveries() throws Exception
    {
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0));
             SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=m"))
        {
            Await.until("subscribed", () -> 1 == broker.subscribers());
            RawHttp.publish(broker.httpPort(), "m", "one");
            RawHttp.publish(broker.httpPort(), "m", "two");
            stream.nextEvent();
            stream.nextEvent();
            assertEquals(404, RawHttp.get(broker.httpPort(), "/nowhere").status());

            final HttpResponse<String> response = JdkHttp.CLIENT.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.httpPort() + "/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString());

            assertEquals(200, response.statusCode());
            assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                response.headers().toString());
            final String body = response.body();
            assertEquals(2, sum(body, "sse_events_sequenced_total"), body);
            assertEquals(2, sum(body, "sse_http_publishes_total"), body);
            assertEquals(2, sum(body, "sse_events_delivered_total"), body);
            assertEquals(1, sum(body, "sse_subscribers"), body);
            assertEquals(2, sum(body, "sse_history_retained_events"), body);
            assertEquals(0, sum(body, "sse_subscribers_evicted_total"), body);
            assertTrue(body.contains("# TYPE sse_subscribers_evicted_total counter"), body);
            assertTrue(body.contains("sse_subscribers_evicted_total{loop=\"0\",reason=\"lapped\"} 0"), body);
            assertTrue(body.contains("sse_log_lag_entries{loop=\"0\"}"), body);
            assertTrue(body.contains("# TYPE jvm_memory_used_bytes gauge"), "the library's JVM metrics: " + body);
            assertEquals(1, sum(body, "sse_subscribers_by_protocol{protocol=\"http/1.1\"}"), body);
            assertEquals(0, sum(body, "sse_subscribers_by_protocol{protocol=\"h2\"}"), body);
            // the stream's head and the two publishes; the scrape itself is counted once it is written
            assertEquals(3, sum(body, "sse_http_responses_total{protocol=\"http/1.1\",status=\"200\"}"), body);
            assertEquals(1, sum(body, "sse_http_responses_total{protocol=\"http/1.1\",status=\"404\"}"), body);
        }
    }

    /**
     * The protobuf format, parsed with the Prometheus client's classes: ingest answers by code, the end-to-end
     * latency histogram, subscriber lag and the auth refusal counters.
     */
    @Test
    void shouldExposeIngestAnswersLatencyAndLagParsedAsProtobuf() throws Exception
    {
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0));
             SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=lat");
             IngestClient client = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "metrics-test"))
        {
            Await.until("subscribed", () -> 1 == broker.subscribers());
            for (int i = 0; i < 20; i++)
            {
                client.publish("lat", null, ("e" + i).getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
            }
            final ExecutionException refused = assertThrows(ExecutionException.class,
                () -> client.publish("bad topic", null, "x".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS));
            assertEquals(IngestErrorCode.INVALID_TOPIC, ((IngestException)refused.getCause()).code());
            for (int i = 0; i < 20; i++)
            {
                stream.nextEvent();
            }

            final ProtobufScrape scrape = ProtobufScrape.of(broker.httpPort());
            assertEquals(20, scrape.value("sse_ingest_acked_publishes_total"));
            assertEquals(1, scrape.value("sse_ingest_errors_total", "code", "INVALID_TOPIC"));
            assertEquals(0, scrape.value("sse_ingest_errors_total", "code", "BAD_FRAME"));

            // Every event, once per event loop holding a subscriber of its topic: here the one subscriber's loop.
            final Metrics.Histogram latency = scrape.histogram("sse_delivery_latency_seconds");
            assertEquals(20, latency.getSampleCount());
            assertTrue(latency.getSampleSum() > 0 && latency.getSampleSum() < 20 * 5, "sum " + latency.getSampleSum());
            long previous = 0;
            for (final Metrics.Bucket bucket : latency.getBucketList())
            {
                assertTrue(bucket.getCumulativeCount() >= previous, "cumulative buckets");
                previous = bucket.getCumulativeCount();
            }
            assertEquals(latency.getSampleCount(), previous);

            // Lag is taken at each loop's timer tick: the one subscriber has everything, so 0 behind.
            Await.until("a lag sample", () -> broker.deliveryMetrics().lag()[2] > 0);
            final ProtobufScrape later = ProtobufScrape.of(broker.httpPort());
            assertEquals(0, later.value("sse_subscriber_lag_events", "stat", "max"));
            assertEquals(0, later.value("sse_subscriber_lag_events", "stat", "p99"));
            assertEquals(0, scrape.value("sse_http_rejected_unauthorized_total"));
            assertEquals(0, later.value("sse_http_rejected_unauthorized_total"));
        }
    }

    @Test
    void shouldNameTheTopicsRetainingTheMost() throws Exception
    {
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0)))
        {
            for (int i = 0; i < 3; i++)
            {
                RawHttp.publish(broker.httpPort(), "big", "x".repeat(1000));
            }
            RawHttp.publish(broker.httpPort(), "small", "y");
            for (int t = 0; t < 12; t++)
            {
                RawHttp.publish(broker.httpPort(), "tiny" + t, "z");
            }
            Await.until("a snapshot with every topic", () -> broker.logWriter().topTopics().names().length == 10 &&
                "big".equals(broker.logWriter().topTopics().names()[0]));
            final ProtobufScrape scrape = ProtobufScrape.of(broker.httpPort());
            assertEquals(10, scrape.family("sse_history_top_topic_retained_bytes").getMetricCount(), "at most ten topics");
            assertEquals(3, scrape.value("sse_history_top_topic_retained_events", "topic", "big"));
            assertTrue(scrape.value("sse_history_top_topic_retained_bytes", "topic", "big") > 3000);
            assertTrue(scrape.value("sse_history_top_topic_retained_bytes", "topic", "big") >
                scrape.value("sse_history_top_topic_retained_bytes", "topic", "small"));
        }
    }

    @Test
    void shouldServeTheSameMetricsOverH2cToCurl() throws Exception
    {
        final String curl = ExternalTools.require("curl", "curl");
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0)))
        {
            RawHttp.publish(broker.httpPort(), "m", "one");
            try (ToolProcess scrape = ToolProcess.start(curl, "-sS", "--http2-prior-knowledge", "--max-time", "10",
                "-w", "\\n%{http_version} %{http_code}\\n", "http://127.0.0.1:" + broker.httpPort() + "/metrics"))
            {
                assertEquals(0, scrape.awaitExit(15_000), scrape.stderr());
                final String out = scrape.stdout();
                assertTrue(out.endsWith("\n2 200\n"), out.substring(Math.max(0, out.length() - 200)));
                assertEquals(1, sum(out, "sse_events_sequenced_total"), out);
                assertEquals(1, sum(out, "sse_http2_connections_total"), out);
            }
        }
    }

    @Test
    void shouldBeReadyWhileServingAndNotOnceClosing() throws Exception
    {
        final Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0));
        try
        {
            final HttpResponse<String> ready = JdkHttp.CLIENT.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.httpPort() + "/ready")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ready.statusCode());
            assertEquals("ready\n", ready.body());
            assertTrue(broker.isReady());
        }
        finally
        {
            broker.close();
        }
        assertFalse(broker.isReady());
    }

    /** Sums every sample of a metric family (all label sets) in a text exposition. */
    private static long sum(final String exposition, final String name)
    {
        // A name with its labels given matches that one sample; a bare name matches every label set.
        final String labels = name.endsWith("}") ? "" : "(\\{[^}]*\\})?";
        final Matcher samples = Pattern.compile("(?m)^" + Pattern.quote(name) + labels + " ([0-9.eE+-]+)$")
            .matcher(exposition);
        double total = 0;
        boolean found = false;
        while (samples.find())
        {
            total += Double.parseDouble(samples.group(samples.groupCount()));
            found = true;
        }
        assertTrue(found, "no samples of " + name);
        return (long)total;
    }
}

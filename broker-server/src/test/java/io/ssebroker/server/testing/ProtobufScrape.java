package io.ssebroker.server.testing;

import io.prometheus.metrics.expositionformats.generated.com_google_protobuf_4_36_2.Metrics;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One {@code GET /metrics} in the Prometheus protobuf format, parsed with the Prometheus client's own generated
 * message classes: metric families by name, and their samples by label set.
 */
public final class ProtobufScrape
{
    /** What Prometheus sends to ask for the delimited protobuf format. */
    public static final String ACCEPT =
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";

    private final Map<String, Metrics.MetricFamily> families;

    private ProtobufScrape(final Map<String, Metrics.MetricFamily> families)
    {
        this.families = families;
    }

    /**
     * Scrapes a broker's HTTP port.
     */
    public static ProtobufScrape of(final int httpPort) throws IOException, InterruptedException
    {
        final HttpResponse<byte[]> response = JdkHttp.CLIENT.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics")).header("Accept", ACCEPT).GET().build(),
            HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/vnd.google.protobuf"),
            response.headers().toString());
        final Map<String, Metrics.MetricFamily> families = new LinkedHashMap<>();
        final ByteArrayInputStream in = new ByteArrayInputStream(response.body());
        while (in.available() > 0)
        {
            final Metrics.MetricFamily family = Metrics.MetricFamily.parseDelimitedFrom(in);
            families.put(family.getName(), family);
        }
        return new ProtobufScrape(families);
    }

    /**
     * @param name the family name as exposed (counters with their {@code _total}).
     * @return the family; fails when absent.
     */
    public Metrics.MetricFamily family(final String name)
    {
        final Metrics.MetricFamily family = families.get(name);
        assertNotNull(family, "no metric family " + name + " among " + families.keySet());
        return family;
    }

    /**
     * @param name   a counter or gauge family.
     * @param labels label names and values, alternating; the sample must have at least these.
     * @return the sum of the matching samples' values.
     */
    public double value(final String name, final String... labels)
    {
        double total = 0;
        for (final Metrics.Metric metric : family(name).getMetricList())
        {
            if (matches(metric.getLabelList(), labels))
            {
                total += metric.hasCounter() ? metric.getCounter().getValue() : metric.getGauge().getValue();
            }
        }
        return total;
    }

    /**
     * @return the one histogram sample of a family.
     */
    public Metrics.Histogram histogram(final String name)
    {
        final List<Metrics.Metric> metrics = family(name).getMetricList();
        assertEquals(1, metrics.size(), name);
        return metrics.get(0).getHistogram();
    }

    private static boolean matches(final List<Metrics.LabelPair> pairs, final String[] labels)
    {
        for (int i = 0; i < labels.length; i += 2)
        {
            boolean found = false;
            for (final Metrics.LabelPair pair : pairs)
            {
                found |= pair.getName().equals(labels[i]) && pair.getValue().equals(labels[i + 1]);
            }
            if (!found)
            {
                return false;
            }
        }
        return true;
    }
}

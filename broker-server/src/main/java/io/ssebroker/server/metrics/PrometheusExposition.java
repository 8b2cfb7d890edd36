package io.ssebroker.server.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.ssebroker.metrics.MetricsRegistry;

/**
 * The broker's {@link MetricsRegistry} and the JVM's own metrics in the Prometheus exposition formats, for
 * {@code GET /metrics}. The Prometheus client builds the snapshots and writes the format the scraper's
 * {@code Accept} header asks for (the text format by default; the protobuf format, OpenMetrics); this class only
 * maps each registry metric to a counter or gauge family named {@code sse_<name>} with the registry's labels.
 * <p>
 * <b>Threading:</b> {@link #scrape(String)} may be called from any thread, several at once; it reads the registry
 * under its contract (volatile reads) and allocates only per scrape.
 */
public final class PrometheusExposition implements MultiCollector
{
    private static final String PREFIX = "sse_";

    private final MetricsRegistry metrics;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final ExpositionFormats formats = ExpositionFormats.init();

    /**
     * The process's JVM metrics, registered once when this class loads. Process-wide, and their collectors register
     * listeners with the JVM that keep whatever registry holds them reachable for ever: one shared registry, merged
     * into every scrape, so a closed broker (tests start hundreds) is not kept alive through it.
     */
    private static final PrometheusRegistry JVM_METRICS = jvmMetrics();

    /**
     * One scrape's body and its content type.
     */
    public record Scrape(byte[] body, String contentType)
    {
    }

    public PrometheusExposition(final MetricsRegistry metrics)
    {
        this.metrics = metrics;
        registry.register(this);
    }

    private static PrometheusRegistry jvmMetrics()
    {
        final PrometheusRegistry jvm = new PrometheusRegistry();
        JvmMetrics.builder().register(jvm);
        return jvm;
    }

    /**
     * Adds metrics of another source (latency histograms, lag) to the exposition. At start-up.
     */
    public void register(final MultiCollector collector)
    {
        registry.register(collector);
    }

    /**
     * @param accept the request's {@code Accept} header, or null.
     * @return every metric, broker and JVM, in the format the header asks for (text when it names none).
     */
    public Scrape scrape(final String accept)
    {
        final ExpositionFormatWriter chosen = formats.findWriter(accept);
        final ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try
        {
            chosen.write(out, snapshots());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return new Scrape(out.toByteArray(), chosen.getContentType());
    }

    private MetricSnapshots snapshots()
    {
        final List<MetricSnapshot> all = new ArrayList<>();
        registry.scrape().forEach(all::add);
        JVM_METRICS.scrape().forEach(all::add);
        return new MetricSnapshots(all);
    }

    @Override
    public MetricSnapshots collect()
    {
        final Map<String, Family> families = new LinkedHashMap<>();
        metrics.forEach((name, kind, labels, value) ->
            families.computeIfAbsent(name, n -> new Family(n, kind)).add(labels, value));
        final List<MetricSnapshot> snapshots = new ArrayList<>(families.size());
        for (final Family family : families.values())
        {
            snapshots.add(family.snapshot());
        }
        return new MetricSnapshots(snapshots);
    }

    /** The data points of one metric name. */
    private static final class Family
    {
        final String name;
        final MetricsRegistry.Kind kind;
        final List<Labels> labels = new ArrayList<>();
        final List<Long> values = new ArrayList<>();

        Family(final String name, final MetricsRegistry.Kind kind)
        {
            this.name = name;
            this.kind = kind;
        }

        void add(final String[] labelPairs, final long value)
        {
            labels.add(Labels.of(labelPairs));
            values.add(value);
        }

        MetricSnapshot snapshot()
        {
            final String help = MetricHelp.of(name);
            if (MetricsRegistry.Kind.COUNTER == kind)
            {
                final CounterSnapshot.Builder builder = CounterSnapshot.builder().name(PREFIX + name).help(help);
                for (int i = 0; i < values.size(); i++)
                {
                    builder.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                        .labels(labels.get(i)).value(values.get(i)).build());
                }
                return builder.build();
            }
            final GaugeSnapshot.Builder builder = GaugeSnapshot.builder().name(PREFIX + name).help(help);
            for (int i = 0; i < values.size(); i++)
            {
                builder.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                    .labels(labels.get(i)).value(values.get(i)).build());
            }
            return builder.build();
        }
    }
}

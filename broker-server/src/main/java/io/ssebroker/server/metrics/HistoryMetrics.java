package io.ssebroker.server.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.ssebroker.log.LogWriter;
import io.ssebroker.log.TopTopics;

/**
 * The topics whose histories hold the most, {@code sse_history_top_topic_retained_bytes{topic}} and
 * {@code _events{topic}}, from the log writer's once-a-second snapshot: at most {@value LogWriter#TOP_TOPICS}
 * label values, so the series count stays bounded however many topics there are.
 * <p>
 * <b>Threading:</b> any thread (reads one volatile snapshot).
 */
public final class HistoryMetrics implements MultiCollector
{
    private final LogWriter writer;

    public HistoryMetrics(final LogWriter writer)
    {
        this.writer = writer;
    }

    @Override
    public MetricSnapshots collect()
    {
        final TopTopics top = writer.topTopics();
        final GaugeSnapshot.Builder bytes = GaugeSnapshot.builder().name("sse_history_top_topic_retained_bytes")
            .help("Frame bytes retained by the topics holding the most (at most " + LogWriter.TOP_TOPICS + ")");
        final GaugeSnapshot.Builder events = GaugeSnapshot.builder().name("sse_history_top_topic_retained_events")
            .help("Events retained by the topics holding the most bytes (at most " + LogWriter.TOP_TOPICS + ")");
        for (int i = 0; i < top.names().length; i++)
        {
            final Labels topic = Labels.of("topic", top.names()[i]);
            bytes.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(topic).value(top.bytes()[i]).build());
            events.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(topic).value(top.events()[i]).build());
        }
        return new MetricSnapshots(bytes.build(), events.build());
    }
}

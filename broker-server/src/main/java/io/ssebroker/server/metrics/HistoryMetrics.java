package io.ssebroker.server.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.ssebroker.log.Sequencer;
import io.ssebroker.log.TopTopics;

/**
 * The topics whose histories hold the most, {@code sse_history_top_topic_retained_bytes{topic}} and
 * {@code _events{topic}}, from the sequencer's once-a-second snapshot: at most {@value Sequencer#TOP_TOPICS}
 * label values, so the series count stays bounded however many topics there are.
 * <p>
 * <b>Threading:</b> any thread (reads one volatile snapshot).
 */
public final class HistoryMetrics implements MultiCollector
{
    private final Sequencer sequencer;

    public HistoryMetrics(final Sequencer sequencer)
    {
        this.sequencer = sequencer;
    }

    @Override
    public MetricSnapshots collect()
    {
        final TopTopics top = sequencer.topTopics();
        final GaugeSnapshot.Builder bytes = GaugeSnapshot.builder().name("sse_history_top_topic_retained_bytes")
            .help("Frame bytes retained by the topics holding the most (at most " + Sequencer.TOP_TOPICS + ")");
        final GaugeSnapshot.Builder events = GaugeSnapshot.builder().name("sse_history_top_topic_retained_events")
            .help("Events retained by the topics holding the most bytes (at most " + Sequencer.TOP_TOPICS + ")");
        for (int i = 0; i < top.names().length; i++)
        {
            final Labels topic = Labels.of("topic", top.names()[i]);
            bytes.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(topic).value(top.bytes()[i]).build());
            events.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(topic).value(top.events()[i]).build());
        }
        return new MetricSnapshots(bytes.build(), events.build());
    }
}

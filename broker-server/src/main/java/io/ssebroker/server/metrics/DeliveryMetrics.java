package io.ssebroker.server.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.ssebroker.fanout.FanOutStats;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;

/**
 * The broker's latency and lag, from every event loop's {@link FanOutStats}:
 * <ul>
 *   <li>{@code sse_delivery_latency_seconds}, a histogram of the time from a publish being read at ingest to an
 *       event loop writing it to its subscribers' sockets, one observation per event and event loop holding
 *       subscribers of its topic;</li>
 *   <li>{@code sse_subscriber_lag_events{stat="max"|"p99"}}: how many retained events subscribers have still to
 *       receive, over every subscriber, as of the loops' last timer tick (about a second ago).</li>
 * </ul>
 * The loops record into HdrHistograms without allocating; this class drains their intervals into one cumulative
 * histogram when scraped (and for {@link #recent}, the dashboard's view of the last interval).
 * <p>
 * <b>Threading:</b> any thread; {@link #sample} and the readers are synchronised, as each loop's recorder allows
 * one reader at a time.
 */
public final class DeliveryMetrics implements MultiCollector
{
    /** Upper bounds of the histogram's classic buckets, in seconds; the last is +Inf. */
    static final double[] BUCKETS_S = {
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
        Double.POSITIVE_INFINITY};

    private final FanOutStats[] loops;
    private final Histogram[] intervals;
    private final Histogram cumulativeUs = new Histogram(1, FanOutStats.MAX_LATENCY_US, 2);
    private final Histogram recentUs = new Histogram(1, FanOutStats.MAX_LATENCY_US, 2);

    public DeliveryMetrics(final List<FanOutStats> loops)
    {
        this.loops = loops.toArray(new FanOutStats[0]);
        this.intervals = new Histogram[this.loops.length];
    }

    /**
     * Moves what the loops recorded since the last call into the cumulative and the recent histogram.
     */
    public synchronized void sample()
    {
        for (int i = 0; i < loops.length; i++)
        {
            intervals[i] = loops[i].latencyIntervalUs(intervals[i]);
            cumulativeUs.add(intervals[i]);
            recentUs.add(intervals[i]);
        }
    }

    /**
     * Latency percentiles of the events since the previous call, in microseconds, then starts a new interval;
     * for the dashboard, which is its one caller.
     *
     * @return p50, p99, p99.9 and max, and the number of observations; zeros when there were none.
     */
    public synchronized long[] recent()
    {
        sample();
        final long[] result = {
            recentUs.getValueAtPercentile(50), recentUs.getValueAtPercentile(99), recentUs.getValueAtPercentile(99.9),
            recentUs.getMaxValue(), recentUs.getTotalCount()};
        recentUs.reset();
        return result;
    }

    /**
     * @return max and p99 of the events each subscriber is behind, over every loop, as of their last tick.
     */
    public long[] lag()
    {
        final Histogram all = new Histogram(1, FanOutStats.MAX_LAG_EVENTS, 2);
        for (final FanOutStats loop : loops)
        {
            all.add(loop.lagEvents());
        }
        return new long[] {all.getMaxValue(), all.getValueAtPercentile(99), all.getTotalCount()};
    }

    @Override
    public MetricSnapshots collect()
    {
        final List<MetricSnapshot> snapshots = new ArrayList<>(2);
        snapshots.add(latency());
        final long[] lag = lag();
        snapshots.add(GaugeSnapshot.builder()
            .name("sse_subscriber_lag_events")
            .help("Retained events subscribers have still to receive, over all subscribers (max, p99), about a second old")
            .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                .labels(Labels.of("stat", "max")).value(lag[0]).build())
            .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                .labels(Labels.of("stat", "p99")).value(lag[1]).build())
            .build());
        return new MetricSnapshots(snapshots);
    }

    private synchronized HistogramSnapshot latency()
    {
        sample();
        final long[] counts = new long[BUCKETS_S.length];
        long below = 0;
        for (int i = 0; i < BUCKETS_S.length - 1; i++)
        {
            final long boundUs = Math.round(BUCKETS_S[i] * 1_000_000);
            // HdrHistogram's buckets are about 1% wide (two significant digits): a value is counted in the
            // Prometheus bucket its recorded bucket's lower bound falls in.
            final long upTo = cumulativeUs.getCountBetweenValues(0, boundUs);
            counts[i] = upTo - below;
            below = upTo;
        }
        counts[BUCKETS_S.length - 1] = cumulativeUs.getTotalCount() - below;
        final double sumS = cumulativeUs.getMean() * cumulativeUs.getTotalCount() / 1_000_000.0;
        return HistogramSnapshot.builder()
            .name("sse_delivery_latency_seconds")
            .help("From a publish read at ingest to an event loop writing it to its subscribers, per event and loop")
            .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                .classicHistogramBuckets(ClassicHistogramBuckets.of(BUCKETS_S, counts))
                .sum(Double.isNaN(sumS) ? 0 : sumS)
                .build())
            .build();
    }
}

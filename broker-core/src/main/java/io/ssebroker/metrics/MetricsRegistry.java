package io.ssebroker.metrics;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * Every counter and gauge of one broker, so that a metrics thread reads all of them one way.
 *
 * <h2>Threading contract</h2>
 * <ul>
 *   <li><b>Registration</b> ({@link #counter}, {@link #gauge}) happens while the broker is built, from any
 *       thread; it is synchronised and publishes the new metric safely to {@link #forEach}.</li>
 *   <li><b>Counters</b> are Agrona {@link AtomicCounter}s, each in its own cache-line-padded slot, so counters
 *       written by different threads never share a line. A counter has either exactly one writing thread,
 *       which then uses the ordered (release-store) operations {@code incrementOrdered},
 *       {@code getAndAddOrdered} and {@code setOrdered}: a plain add plus a store barrier, cheap enough
 *       for once-per-batch updates on an event loop; or several writers, which use the atomic
 *       {@code increment} and {@code getAndAdd}. Which one is stated where the counter is created.</li>
 *   <li><b>Reads</b> from any thread use {@link AtomicCounter#get()}, a volatile read: a value that is never
 *       torn and never older than the writer's last release store.</li>
 *   <li><b>Gauges</b> are suppliers called on the reading thread; each must be safe to call from any
 *       thread (it reads volatile or atomic state, or a counter).</li>
 * </ul>
 * Counters only ever grow unless documented as a level (set with {@code setOrdered}, such as the
 * subscribers an event loop holds); {@link Kind} tells the two apart for exposition.
 */
public final class MetricsRegistry
{
    /** How a metric's value is to be read. */
    public enum Kind
    {
        /** Grows monotonically from 0. */
        COUNTER,
        /** A level that goes up and down. */
        GAUGE
    }

    /**
     * Receives each metric of {@link #forEach}.
     */
    @FunctionalInterface
    public interface Visitor
    {
        /**
         * @param name   metric name, lower case with underscores.
         * @param kind   counter or gauge.
         * @param labels label names and values, alternating (empty when none); do not modify.
         * @param value  the current value.
         */
        void visit(String name, Kind kind, String[] labels, long value);
    }

    private static final int DEFAULT_MAX_COUNTERS = 256;

    private final CountersManager countersManager;
    private final List<Metric> metrics = new CopyOnWriteArrayList<>();

    public MetricsRegistry()
    {
        this(DEFAULT_MAX_COUNTERS);
    }

    /**
     * @param maxCounters how many counters may be registered (gauges do not count).
     */
    public MetricsRegistry(final int maxCounters)
    {
        final UnsafeBuffer values = new UnsafeBuffer(
            ByteBuffer.allocateDirect(maxCounters * CountersManager.COUNTER_LENGTH));
        final UnsafeBuffer metadata = new UnsafeBuffer(
            ByteBuffer.allocateDirect(maxCounters * CountersManager.METADATA_LENGTH));
        countersManager = new CountersManager(metadata, values);
    }

    /**
     * Registers a counter.
     *
     * @param name   metric name.
     * @param kind   whether the value only grows ({@link Kind#COUNTER}) or is a level set by its writer.
     * @param labels label names and values, alternating.
     * @return the counter to write; see the class documentation for which operations a writer uses.
     */
    public synchronized AtomicCounter counter(final String name, final Kind kind, final String... labels)
    {
        checkLabels(labels);
        final AtomicCounter counter = countersManager.newCounter(name + Arrays.toString(labels));
        metrics.add(new Metric(name, kind, labels.clone(), counter, null));
        return counter;
    }

    /**
     * Registers a gauge computed when read.
     *
     * @param name   metric name.
     * @param value  read on the metrics thread; must be safe to call from any thread.
     * @param labels label names and values, alternating.
     */
    public synchronized void gauge(final String name, final LongSupplier value, final String... labels)
    {
        checkLabels(labels);
        metrics.add(new Metric(name, Kind.GAUGE, labels.clone(), null, value));
    }

    /**
     * Reads every metric, in registration order. Any thread.
     */
    public void forEach(final Visitor visitor)
    {
        for (final Metric metric : metrics)
        {
            visitor.visit(metric.name, metric.kind, metric.labels,
                null != metric.counter ? metric.counter.get() : metric.gauge.getAsLong());
        }
    }

    /**
     * The sum of every metric with this name, over all its labels. Any thread.
     *
     * @return 0 when there is none.
     */
    public long sum(final String name)
    {
        long total = 0;
        for (final Metric metric : metrics)
        {
            if (metric.name.equals(name))
            {
                total += null != metric.counter ? metric.counter.get() : metric.gauge.getAsLong();
            }
        }
        return total;
    }

    private static void checkLabels(final String[] labels)
    {
        if (0 != (labels.length & 1))
        {
            throw new IllegalArgumentException("labels come in name, value pairs: " + Arrays.toString(labels));
        }
    }

    private static final class Metric
    {
        final String name;
        final Kind kind;
        final String[] labels;
        final AtomicCounter counter;
        final LongSupplier gauge;

        Metric(final String name, final Kind kind, final String[] labels, final AtomicCounter counter, final LongSupplier gauge)
        {
            this.name = name;
            this.kind = kind;
            this.labels = labels;
            this.counter = counter;
            this.gauge = gauge;
        }
    }
}

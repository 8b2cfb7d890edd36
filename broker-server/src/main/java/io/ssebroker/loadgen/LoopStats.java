package io.ssebroker.loadgen;

import java.util.concurrent.atomic.AtomicLongArray;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * Counters and latency histograms of the streams on one event loop.
 * <p>
 * <b>Threading:</b> the event loop is the single writer. Counters are published with ordered stores
 * ({@code lazySet}) so the progress thread reads them without a lock; the {@link #recorder()} hands interval
 * histograms to that thread; the {@link #windowHistogram()} is read only after the loop has stopped.
 */
final class LoopStats
{
    /** Highest latency recorded, 1 hour in microseconds; larger values are clamped to it. */
    static final long HIGHEST_LATENCY_US = 3_600_000_000L;
    static final int SIGNIFICANT_DIGITS = 3;

    static final int RECEIVED = 0;
    static final int DELIVERED = 1;
    static final int EXPECTED = 2;
    static final int GAPS = 3;
    static final int DUPLICATES = 4;
    static final int OTHER_EVENTS = 5;
    static final int CONNECTED = 6;
    static final int CONNECT_ERRORS = 7;
    static final int DISCONNECTS = 8;
    static final int RECONNECTS = 9;
    static final int REORDERED = 10;
    static final int MISSING_AT_END = 11;
    static final int COUNTERS = 12;

    private final AtomicLongArray counters = new AtomicLongArray(COUNTERS);
    private final SingleWriterRecorder recorder = new SingleWriterRecorder(HIGHEST_LATENCY_US, SIGNIFICANT_DIGITS);
    private final Histogram windowHistogram = new Histogram(HIGHEST_LATENCY_US, SIGNIFICANT_DIGITS);
    private volatile String lastError;

    void increment(final int counter)
    {
        counters.lazySet(counter, counters.get(counter) + 1);
    }

    void add(final int counter, final long delta)
    {
        counters.lazySet(counter, counters.get(counter) + delta);
    }

    long get(final int counter)
    {
        return counters.get(counter);
    }

    /**
     * Records the latency of one event.
     *
     * @param latencyUs receive time minus intended send time.
     * @param inWindow  whether the event counts for the measurement window.
     */
    void recordLatency(final long latencyUs, final boolean inWindow)
    {
        final long value = latencyUs < 0 ? 0 : Math.min(latencyUs, HIGHEST_LATENCY_US);
        recorder.recordValue(value);
        if (inWindow)
        {
            windowHistogram.recordValue(value);
        }
    }

    SingleWriterRecorder recorder()
    {
        return recorder;
    }

    Histogram windowHistogram()
    {
        return windowHistogram;
    }

    /**
     * @param error a connection error, kept for the progress line (cold path).
     */
    void lastError(final String error)
    {
        lastError = error;
    }

    String lastError()
    {
        return lastError;
    }
}

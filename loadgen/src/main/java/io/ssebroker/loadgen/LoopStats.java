package io.ssebroker.loadgen;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * Counters and latency histograms of the streams on one event loop, and for a reconnect storm the reconnect
 * times of its self-inflicted drops and the streams that failed the exact delivery check.
 * <p>
 * <b>Threading:</b> the event loop is the single writer. Counters are published with ordered stores
 * ({@code lazySet}) so the progress thread reads them without a lock; the {@link #recorder()} hands interval
 * histograms to that thread; the {@link #windowHistogram()}, the {@link #reconnectHistogram()}, the drop times
 * and the {@link #failures()} are read only after the loop has stopped.
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
    /** Streams the load generator closed itself ({@code --drops-per-subscriber}). */
    static final int SELF_DROPS = 12;
    /** Planned drops that never found the stream connected before publishing ended. */
    static final int DROPS_NOT_MADE = 13;
    /** Self-dropped streams not re-established by the end of the run. */
    static final int NOT_BACK = 14;
    /** {@code reset} events from the broker: a resume it could not honour exactly. */
    static final int RESETS = 15;
    /** Subscribers held to the exact delivery check, and those that failed it. */
    static final int CHECKED = 16;
    static final int CHECK_FAILED = 17;
    /** Over the checked subscribers: planned sequences never received, received twice, or not planned at all. */
    static final int UNION_MISSING = 18;
    static final int UNION_DUPLICATES = 19;
    static final int UNION_OUTSIDE = 20;
    /** Checked subscribers that never got a response. */
    static final int NEVER_CONNECTED = 21;
    /** Gauge: streams down after a self-drop, not yet re-established. */
    static final int DOWN = 22;
    /**
     * Checked streams whose verdict is known: they have every planned sequence of their topic, or a reset, a
     * duplicate or an unplanned event has already failed them.
     */
    static final int SETTLED = 23;
    /** Gauge: planned drops neither made nor given up yet. */
    static final int DROPS_LEFT = 24;
    /** Self-drops made after publishing ended: they had waited for the stream to come back from the one before. */
    static final int LATE_DROPS = 25;
    /**
     * Sequences skipped right after a {@code reset}: the broker said the stream's history no longer reached
     * back (it had been evicted or away too long), so these are accounted for, unlike {@link #GAPS}.
     */
    static final int GAPS_AFTER_RESET = 26;
    static final int COUNTERS = 27;

    /** Each counter's name in a child's progress line, in index order. */
    static final String[] NAMES = {
        "received", "delivered", "expected", "gaps", "duplicates", "otherEvents", "connected", "connectErrors",
        "disconnects", "reconnects", "reordered", "missingAtEnd", "selfDrops", "dropsNotMade", "notBack", "resets",
        "checked", "checkFailed", "unionMissing", "unionDuplicates", "unionOutside", "neverConnected", "down",
        "settled", "dropsLeft", "lateDrops", "gapsAfterReset" };

    static
    {
        if (NAMES.length != COUNTERS)
        {
            throw new IllegalStateException(NAMES.length + " counter names for " + COUNTERS + " counters");
        }
    }

    /** Failed checks described one by one, at most this many per loop. */
    static final int MAX_FAILURES_DESCRIBED = 10;

    private final AtomicLongArray counters = new AtomicLongArray(COUNTERS);
    private final SingleWriterRecorder recorder = new SingleWriterRecorder(HIGHEST_LATENCY_US, SIGNIFICANT_DIGITS);
    private final Histogram windowHistogram = new Histogram(HIGHEST_LATENCY_US, SIGNIFICANT_DIGITS);
    private final Histogram reconnectHistogram = new Histogram(HIGHEST_LATENCY_US, SIGNIFICANT_DIGITS);
    private final List<String> failures = new ArrayList<>();
    private long lastDropAfterOriginNs;
    private long lastBackAfterOriginNs;
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

    /**
     * A self-inflicted drop.
     *
     * @param afterOriginNs its time after the schedule's origin.
     */
    void recordDrop(final long afterOriginNs)
    {
        increment(SELF_DROPS);
        lastDropAfterOriginNs = Math.max(lastDropAfterOriginNs, afterOriginNs);
    }

    /**
     * A self-dropped stream is receiving again.
     *
     * @param reconnectNs   time from the drop to the new response.
     * @param afterOriginNs time of the new response after the schedule's origin.
     */
    void recordBack(final long reconnectNs, final long afterOriginNs)
    {
        reconnectHistogram.recordValue(Math.max(0, Math.min(reconnectNs / 1000, HIGHEST_LATENCY_US)));
        lastBackAfterOriginNs = Math.max(lastBackAfterOriginNs, afterOriginNs);
    }

    /**
     * @return time of the latest self-drop after the origin, 0 when none.
     */
    long lastDropAfterOriginNs()
    {
        return lastDropAfterOriginNs;
    }

    /**
     * @return time after the origin when the latest self-dropped stream was back, 0 when none.
     */
    long lastBackAfterOriginNs()
    {
        return lastBackAfterOriginNs;
    }

    /**
     * @return drop-to-response times of self-dropped streams, microseconds.
     */
    Histogram reconnectHistogram()
    {
        return reconnectHistogram;
    }

    /**
     * Describes a failed exact check, up to {@link #MAX_FAILURES_DESCRIBED} (cold path).
     */
    void describeFailure(final String failure)
    {
        if (failures.size() < MAX_FAILURES_DESCRIBED)
        {
            failures.add(failure);
        }
    }

    List<String> failures()
    {
        return failures;
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

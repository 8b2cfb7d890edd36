package io.ssebroker.loadgen;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.DataFormatException;

import org.HdrHistogram.Histogram;

/**
 * Totals of a run, or of one child process's share of it, with the latency histogram of the measurement
 * window and the reconnect times of self-inflicted drops; mergeable, and carried between processes as one text
 * line.
 * <p>
 * Line format: {@code LOADGEN-RESULT key=value key=value ... histogram=<base64> reconnectHistogram=<base64>},
 * where the histograms are HdrHistogram's compressed encoding in Base64; the keys are the counter names of
 * {@link #counters()}.
 * <p>
 * <b>Threading:</b> not thread-safe; built and merged on the command's thread.
 */
final class LoadSummary
{
    static final String RESULT_PREFIX = "LOADGEN-RESULT ";

    static final String SUBSCRIBERS = "subscribers";
    static final String CONNECTED = "connected";
    static final String RECEIVED = "received";
    static final String DELIVERED = "delivered";
    static final String EXPECTED = "expected";
    static final String GAPS = "gaps";
    static final String GAPS_AFTER_RESET = "gapsAfterReset";
    static final String DUPLICATES = "duplicates";
    static final String REORDERED = "reordered";
    static final String MISSING_AT_END = "missingAtEnd";
    static final String OTHER_EVENTS = "otherEvents";
    static final String CONNECT_ERRORS = "connectErrors";
    static final String DISCONNECTS = "disconnects";
    static final String RECONNECTS = "reconnects";
    static final String PLANNED = "planned";
    static final String SENT = "sent";
    static final String ACKED = "acked";
    static final String PUBLISH_FAILED = "publishFailed";
    static final String PUBLISH_ABANDONED = "publishAbandoned";
    static final String MAX_PUBLISH_LAG_NS = "maxPublishLagNs";
    static final String SELF_DROPS = "selfDrops";
    static final String DROPS_NOT_MADE = "dropsNotMade";
    static final String NOT_BACK = "notBack";
    static final String RESETS = "resets";
    /** Time after the schedule's origin of the latest self-drop, and of the latest return from one; merged by max. */
    static final String LAST_DROP_NS = "lastDropNs";
    static final String LAST_BACK_NS = "lastBackNs";
    static final String CHECKED = "checked";
    static final String CHECK_FAILED = "checkFailed";
    static final String UNION_MISSING = "unionMissing";
    static final String UNION_DUPLICATES = "unionDuplicates";
    static final String UNION_OUTSIDE = "unionOutside";
    static final String NEVER_CONNECTED = "neverConnected";
    static final String LATE_DROPS = "lateDrops";

    private static final String[] COUNTER_NAMES = {
        SUBSCRIBERS, CONNECTED, RECEIVED, DELIVERED, EXPECTED, GAPS, DUPLICATES, REORDERED, MISSING_AT_END, OTHER_EVENTS, CONNECT_ERRORS,
        DISCONNECTS, RECONNECTS, PLANNED, SENT, ACKED, PUBLISH_FAILED, PUBLISH_ABANDONED, MAX_PUBLISH_LAG_NS,
        SELF_DROPS, DROPS_NOT_MADE, NOT_BACK, RESETS, LAST_DROP_NS, LAST_BACK_NS,
        CHECKED, CHECK_FAILED, UNION_MISSING, UNION_DUPLICATES, UNION_OUTSIDE, NEVER_CONNECTED, LATE_DROPS,
        GAPS_AFTER_RESET };

    private final Map<String, Long> counters = new LinkedHashMap<>();
    private final Histogram histogram = new Histogram(LoopStats.HIGHEST_LATENCY_US, LoopStats.SIGNIFICANT_DIGITS);
    private final Histogram reconnectHistogram = new Histogram(LoopStats.HIGHEST_LATENCY_US, LoopStats.SIGNIFICANT_DIGITS);
    private double receivedPerSecondInWindow = Double.NaN;

    LoadSummary()
    {
        for (final String name : COUNTER_NAMES)
        {
            counters.put(name, 0L);
        }
    }

    long counter(final String name)
    {
        return counters.get(name);
    }

    LoadSummary counter(final String name, final long value)
    {
        if (!counters.containsKey(name))
        {
            throw new IllegalArgumentException("unknown counter " + name);
        }
        counters.put(name, value);
        return this;
    }

    Map<String, Long> counters()
    {
        return counters;
    }

    /**
     * @return latency of in-window deliveries, microseconds.
     */
    Histogram histogram()
    {
        return histogram;
    }

    /**
     * @return drop-to-response times of self-dropped streams, microseconds.
     */
    Histogram reconnectHistogram()
    {
        return reconnectHistogram;
    }

    /**
     * Adds another share: counters are summed, except {@link #MAX_PUBLISH_LAG_NS}, {@link #LAST_DROP_NS} and
     * {@link #LAST_BACK_NS}, which take the maximum.
     *
     * @param other a child's or a publisher's share.
     * @return this.
     */
    LoadSummary merge(final LoadSummary other)
    {
        for (final Map.Entry<String, Long> entry : other.counters.entrySet())
        {
            final String name = entry.getKey();
            final long value = entry.getValue();
            counters.put(name, isMaximum(name) ? Math.max(counters.get(name), value) : counters.get(name) + value);
        }
        histogram.add(other.histogram);
        reconnectHistogram.add(other.reconnectHistogram);
        return this;
    }

    private static boolean isMaximum(final String name)
    {
        return MAX_PUBLISH_LAG_NS.equals(name) || LAST_DROP_NS.equals(name) || LAST_BACK_NS.equals(name);
    }

    /**
     * The reconnect storm's verdict: every subscriber was held to the exact check and passed it (its union of
     * events is exactly its topic's published sequence, no duplicate, no reset), every planned drop was made and
     * every dropped stream came back, and the publisher had every planned event acknowledged, so that the plan is
     * what was published.
     *
     * @return true when all of that holds.
     */
    boolean exactCheckPassed()
    {
        return counter(SUBSCRIBERS) > 0 && counter(CHECKED) == counter(SUBSCRIBERS) && 0 == counter(CHECK_FAILED) &&
            0 == counter(NOT_BACK) && 0 == counter(DROPS_NOT_MADE) &&
            0 == counter(PUBLISH_FAILED) && counter(ACKED) == counter(PLANNED);
    }

    /**
     * @return milliseconds from the latest self-drop until every dropped stream was back, NaN when there were no
     *         drops or some stream did not come back.
     */
    double allBackMs()
    {
        if (0 == counter(SELF_DROPS) || 0 != counter(NOT_BACK))
        {
            return Double.NaN;
        }
        return Math.max(0, counter(LAST_BACK_NS) - counter(LAST_DROP_NS)) / 1e6;
    }

    /**
     * @return delivered / expected, or NaN when nothing was expected.
     */
    double deliveryRatio()
    {
        final long expected = counter(EXPECTED);
        return 0 == expected ? Double.NaN : (double)counter(DELIVERED) / expected;
    }

    /**
     * Sets the throughput seen while the window was open: every event received by every stream
     * between the progress ticks at window start and window end, whatever its send time, per second.
     * Unlike {@link #deliveredPerSecond}, it does not depend on latency, so it still shows what a
     * server that falls minutes behind delivers. NaN when the window was not observed.
     */
    LoadSummary receivedPerSecondInWindow(final double perSecond)
    {
        this.receivedPerSecondInWindow = perSecond;
        return this;
    }

    /**
     * @param windowSeconds length of the measurement window.
     * @return in-window deliveries per second.
     */
    double deliveredPerSecond(final double windowSeconds)
    {
        return counter(DELIVERED) / windowSeconds;
    }

    /**
     * @return the line a child prints for its parent.
     */
    String toLine()
    {
        final StringBuilder line = new StringBuilder(RESULT_PREFIX);
        for (final Map.Entry<String, Long> entry : counters.entrySet())
        {
            line.append(entry.getKey()).append('=').append(entry.getValue()).append(' ');
        }
        return line.append("histogram=").append(encodeHistogram(histogram))
            .append(" reconnectHistogram=").append(encodeHistogram(reconnectHistogram)).toString();
    }

    /**
     * @param line a line from {@link #toLine()}.
     * @return the summary it carries.
     * @throws IllegalArgumentException when the line is not a result line.
     */
    static LoadSummary fromLine(final String line)
    {
        if (!line.startsWith(RESULT_PREFIX))
        {
            throw new IllegalArgumentException("not a result line: " + line);
        }
        final LoadSummary summary = new LoadSummary();
        for (final String field : line.substring(RESULT_PREFIX.length()).trim().split(" "))
        {
            final int equals = field.indexOf('=');
            if (equals <= 0)
            {
                throw new IllegalArgumentException("malformed field '" + field + "' in result line");
            }
            final String name = field.substring(0, equals);
            final String value = field.substring(equals + 1);
            if ("histogram".equals(name))
            {
                summary.histogram.add(decodeHistogram(value));
            }
            else if ("reconnectHistogram".equals(name))
            {
                summary.reconnectHistogram.add(decodeHistogram(value));
            }
            else if (summary.counters.containsKey(name))
            {
                summary.counters.put(name, Long.parseLong(value));
            }
        }
        return summary;
    }

    /**
     * @param histogram a histogram.
     * @return its compressed encoding in Base64.
     */
    static String encodeHistogram(final Histogram histogram)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        final int length = histogram.encodeIntoCompressedByteBuffer(buffer);
        return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buffer.array(), length));
    }

    /**
     * @param base64 from {@link #encodeHistogram}.
     * @return the histogram.
     */
    static Histogram decodeHistogram(final String base64)
    {
        try
        {
            return Histogram.decodeFromCompressedByteBuffer(
                ByteBuffer.wrap(Base64.getDecoder().decode(base64)), LoopStats.HIGHEST_LATENCY_US);
        }
        catch (final DataFormatException ex)
        {
            throw new IllegalArgumentException("histogram is not a compressed HdrHistogram", ex);
        }
    }

    /**
     * @return HdrHistogram percentile output, values in milliseconds.
     */
    String toHgrm()
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8))
        {
            histogram.outputPercentileDistribution(out, 1000.0);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /**
     * @param label         run label.
     * @param settings      the run's settings, written as given.
     * @param windowSeconds length of the measurement window.
     * @return the JSON summary.
     */
    String toJson(final String label, final Map<String, Object> settings, final double windowSeconds)
    {
        final StringBuilder json = new StringBuilder(1024);
        json.append("{\n  \"label\": ").append(quote(label)).append(",\n  \"settings\": {");
        boolean first = true;
        for (final Map.Entry<String, Object> entry : settings.entrySet())
        {
            json.append(first ? "\n" : ",\n").append("    ").append(quote(entry.getKey())).append(": ");
            final Object value = entry.getValue();
            json.append(value instanceof Number || value instanceof Boolean ? String.valueOf(value) : quote(String.valueOf(value)));
            first = false;
        }
        json.append("\n  },\n  \"windowSeconds\": ").append(format(windowSeconds));
        for (final Map.Entry<String, Long> entry : counters.entrySet())
        {
            json.append(",\n  ").append(quote(entry.getKey())).append(": ").append(entry.getValue());
        }
        json.append(",\n  \"deliveredPerSecond\": ").append(format(deliveredPerSecond(windowSeconds)));
        json.append(",\n  \"receivedPerSecondInWindow\": ").append(format(receivedPerSecondInWindow));
        json.append(",\n  \"deliveryRatio\": ").append(format(deliveryRatio()));
        json.append(",\n  \"latencyUs\": {");
        json.append("\"count\": ").append(histogram.getTotalCount());
        json.append(", \"p50\": ").append(histogram.getValueAtPercentile(50));
        json.append(", \"p90\": ").append(histogram.getValueAtPercentile(90));
        json.append(", \"p99\": ").append(histogram.getValueAtPercentile(99));
        json.append(", \"p999\": ").append(histogram.getValueAtPercentile(99.9));
        json.append(", \"max\": ").append(histogram.getMaxValue());
        json.append("}");
        json.append(",\n  \"reconnectUs\": {");
        json.append("\"count\": ").append(reconnectHistogram.getTotalCount());
        json.append(", \"p50\": ").append(reconnectHistogram.getValueAtPercentile(50));
        json.append(", \"p99\": ").append(reconnectHistogram.getValueAtPercentile(99));
        json.append(", \"max\": ").append(reconnectHistogram.getMaxValue());
        json.append("}");
        json.append(",\n  \"allBackMs\": ").append(format(allBackMs()));
        json.append(",\n  \"exactCheckPassed\": ").append(0 == counter(CHECKED) ? "null" : String.valueOf(exactCheckPassed()));
        json.append("\n}\n");
        return json.toString();
    }

    /**
     * @param windowSeconds length of the measurement window.
     * @return the human-readable final summary.
     */
    String toText(final double windowSeconds)
    {
        return String.format(Locale.ROOT,
            "subscribers %d (connected at end %d), connect errors %d, disconnects %d, reconnects %d%n" +
            "published: planned %d, sent %d, acked %d, failed %d, held back past the end %d, max publish lag %.1f ms%n" +
            "delivered in window %d of %d expected: ratio %.6f, %.1f events/s; received in all %d%n" +
            "received while the window was open, whatever the send time: %.1f events/s%n" +
            "gaps %d (and %d right after a reset, %d resets), duplicates %d, reordered %d, missing at end %d, other events %d%n" +
            "latency us: p50 %d  p90 %d  p99 %d  p99.9 %d  max %d  (n=%d)",
            counter(SUBSCRIBERS), counter(CONNECTED), counter(CONNECT_ERRORS), counter(DISCONNECTS), counter(RECONNECTS),
            counter(PLANNED), counter(SENT), counter(ACKED), counter(PUBLISH_FAILED), counter(PUBLISH_ABANDONED),
            counter(MAX_PUBLISH_LAG_NS) / 1e6,
            counter(DELIVERED), counter(EXPECTED), deliveryRatio(), deliveredPerSecond(windowSeconds), counter(RECEIVED),
            receivedPerSecondInWindow,
            counter(GAPS), counter(GAPS_AFTER_RESET), counter(RESETS), counter(DUPLICATES), counter(REORDERED),
            counter(MISSING_AT_END), counter(OTHER_EVENTS),
            histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(90), histogram.getValueAtPercentile(99),
            histogram.getValueAtPercentile(99.9), histogram.getMaxValue(), histogram.getTotalCount()) +
            stormText();
    }

    private String stormText()
    {
        final StringBuilder text = new StringBuilder();
        if (0 != counter(SELF_DROPS) || 0 != counter(DROPS_NOT_MADE))
        {
            text.append(String.format(Locale.ROOT,
                "%nself-drops %d (after publishing ended %d, planned but not made %d), not back at end %d; " +
                "drop to new response ms: p50 %.1f  p99 %.1f  max %.1f  (n=%d); all back %.1f ms after the last drop",
                counter(SELF_DROPS), counter(LATE_DROPS), counter(DROPS_NOT_MADE), counter(NOT_BACK),
                reconnectHistogram.getValueAtPercentile(50) / 1e3, reconnectHistogram.getValueAtPercentile(99) / 1e3,
                reconnectHistogram.getMaxValue() / 1e3, reconnectHistogram.getTotalCount(), allBackMs()));
        }
        if (0 != counter(CHECKED))
        {
            text.append(String.format(Locale.ROOT,
                "%nexact check: %d of %d subscribers checked, %d failed (never connected %d); missing %d, duplicates %d, " +
                "outside the plan %d, resets %d; publisher acked %d of %d planned: %s",
                counter(CHECKED), counter(SUBSCRIBERS), counter(CHECK_FAILED), counter(NEVER_CONNECTED),
                counter(UNION_MISSING), counter(UNION_DUPLICATES), counter(UNION_OUTSIDE), counter(RESETS),
                counter(ACKED), counter(PLANNED), exactCheckPassed() ? "PASSED" : "FAILED"));
        }
        return text.toString();
    }

    private static String format(final double value)
    {
        return Double.isNaN(value) || Double.isInfinite(value) ? "null" : String.format(Locale.ROOT, "%.6f", value);
    }

    private static String quote(final String text)
    {
        final StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            if ('"' == c || '\\' == c)
            {
                quoted.append('\\').append(c);
            }
            else if (c < 0x20)
            {
                quoted.append(String.format(Locale.ROOT, "\\u%04x", (int)c));
            }
            else
            {
                quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }
}

package io.ssebroker.loadgen;

import io.ssebroker.server.testing.BrokerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A whole {@code loadgen} run, in this process, against a real broker on loopback: the summary it
 * writes must show every event delivered, none lost or repeated, and a throughput that matches
 * the schedule.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoadgenRunTest
{
    private static final int SUBSCRIBERS = 40;
    private static final int TOPICS = 4;
    private static final int RATE = 400;

    /**
     * One broker for both runs: each run's streams connect without {@code Last-Event-ID}, so they
     * start from the live stream and the previous run's history does not reach them.
     */
    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.withDefaults();

    @Test
    void shouldReportFullDeliveryOverIngest(@TempDir final Path out) throws IOException
    {
        final String json = run(out, "ingest://127.0.0.1:" + BROKER.ingestPort(), "ingest");
        assertFullDelivery(json);
        // One ordered ingest connection: the broker keeps its order.
        assertEquals(0, number(json, "reordered"), json);
    }

    @Test
    void shouldReportFullDeliveryOverHttpPost(@TempDir final Path out) throws IOException
    {
        assertFullDelivery(run(out, "http://127.0.0.1:" + BROKER.httpPort() + "/publish?topic={topic}", "http"));
    }

    private String run(final Path out, final String publish, final String label) throws IOException
    {
        final int exit = new CommandLine(new LoadgenCommand()).execute(
            "--subscribers", Integer.toString(SUBSCRIBERS),
            "--topics", Integer.toString(TOPICS),
            "--sub-url", "http://127.0.0.1:" + BROKER.httpPort() + "/events?topic={topic}",
            "--publish", publish,
            "--rate", Integer.toString(RATE),
            "--payload-bytes", "100",
            "--ramp-seconds", "0.5",
            // The JDK HttpClient publisher takes a second or two to reach its rate in a cold JVM
            // (its publish lag reached 2.5 s on this 2-core machine, at every commit measured): warm
            // up past that, and drain long enough that "delivered" does not depend on it.
            "--warmup-seconds", "2",
            "--duration-seconds", "3",
            "--drain-seconds", "5",
            "--threads", "1",
            "--out", out.toString(),
            "--label", label);
        assertEquals(0, exit, "loadgen exit status");
        assertTrue(Files.size(out.resolve("latency.hgrm")) > 0, "latency.hgrm written");
        return Files.readString(out.resolve("summary.json"), StandardCharsets.UTF_8);
    }

    private static void assertFullDelivery(final String json)
    {
        // Each subscriber gets its topic's share of the rate for the 3 s window.
        final long expected = (long)SUBSCRIBERS * RATE / TOPICS * 3;
        assertEquals(expected, number(json, "expected"), json);
        assertEquals(expected, number(json, "delivered"), json);
        assertEquals(1.0, number(json, "deliveryRatio"), 1e-9, json);
        assertEquals(0, number(json, "gaps"), json);
        assertEquals(0, number(json, "duplicates"), json);
        assertEquals(0, number(json, "missingAtEnd"), json);
        assertEquals(0, number(json, "connectErrors"), json);
        assertEquals(SUBSCRIBERS, number(json, "connected"), json);
        // Throughput while the window was open, from once-a-second ticks: the scheduled rate, within
        // the slack of tick timing.
        final double received = number(json, "receivedPerSecondInWindow");
        final double scheduled = (double)SUBSCRIBERS * RATE / TOPICS;
        assertTrue(received > 0.5 * scheduled && received < 1.5 * scheduled, "received/s " + received + " vs " + scheduled);
    }

    private static double number(final String json, final String key)
    {
        final Matcher matcher = Pattern.compile("\"" + key + "\": (-?[0-9.]+)").matcher(json);
        assertTrue(matcher.find(), key + " in " + json);
        return Double.parseDouble(matcher.group(1));
    }
}

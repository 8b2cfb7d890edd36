package io.ssebroker.loadgen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.BrokerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reconnect storm of the reliability battery, at CI size: a {@code loadgen} run whose subscribers each close
 * their own stream five times while events are published at 100 ev/s, and resume with {@code Last-Event-ID}.
 * Every subscriber's union of events over all its connections must be exactly its topic's published sequence,
 * from the first event, with no duplicate and no {@code reset}; every planned drop must be made and every dropped
 * stream must be back. The full-size run (10,000 subscribers, 60 s) is {@code bench/reconnect-storm.sh}.
 * <p>
 * The broker and the load generator's command run in this JVM, the broker under the suite's paranoid leak
 * detection; the subscribers run in one child JVM of the load generator ({@code --processes 1}, leak detection
 * off, as its children always run). With the thousand clients in this JVM too, their leak records took most of
 * the two shared cores and reconnects slowed to seconds: a result about the machine, not the broker.
 * <p>
 * Only correctness is asserted. On a slow machine drops wait for the previous reconnect and the run's end waits
 * (at most {@link LoadgenCommand#SETTLE_LIMIT_NS}) for streams to settle, so slowness shows in the reconnect times
 * and in drops made after publishing ended, which the summary prints; the timings are in docs/reliability.md.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ReconnectStormTest
{
    private static final int DROPS = 5;
    private static final long RECONNECT_DELAY_MS = 200;

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.withDefaults();

    @Test
    void shouldGiveEverySubscriberExactlyThePublishedSequenceAcrossFiveDropsEachOverHttp1(@TempDir final Path out)
        throws IOException
    {
        final int subscribers = 1000;
        final Run run = run(BROKER.httpPort(), BROKER.ingestPort(), out,
            "--subscribers", Integer.toString(subscribers),
            "--protocol", "h1",
            "--processes", "1",
            "--topics", "10",
            "--ramp-seconds", "1",
            "--duration-seconds", "12",
            "--drop-mode", "random");

        assertStormPassed(run, subscribers);
    }

    @Test
    void shouldGiveEveryStreamExactlyThePublishedSequenceWhenAllCancelAtOnceOverHttp2(@TempDir final Path out)
        throws IOException
    {
        // 20 streams a connection: 100 RST_STREAM frames in the run, under the broker's rapid-reset limit
        // (200 per connection per 30 s), which would otherwise end whole connections with GOAWAY.
        final int subscribers = 100;
        final Run run = run(BROKER.httpPort(), BROKER.ingestPort(), out,
            "--subscribers", Integer.toString(subscribers),
            "--protocol", "h2",
            "--processes", "1",
            "--h2-streams-per-connection", "20",
            "--topics", "2",
            "--ramp-seconds", "1",
            "--duration-seconds", "5",
            "--drop-mode", "burst");

        assertStormPassed(run, subscribers);
    }

    @Test
    void shouldFailTheCheckWhenHistoryNoLongerReachesBackToTheResumePoint(@TempDir final Path out)
        throws IOException, InterruptedException
    {
        // Two events of history per topic, and 50 events a second per topic published during each 300 ms
        // reconnect: every resume is answered with a reset (history-truncated), which the check must not accept.
        final int subscribers = 20;
        try (Broker shortHistory = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0).historyCount(2)))
        {
            final Run run = run(shortHistory.httpPort(), shortHistory.ingestPort(), out,
                "--subscribers", Integer.toString(subscribers),
                "--topics", "2",
                "--ramp-seconds", "1",
                "--warmup-seconds", "0.5",
                "--duration-seconds", "1",
                "--drain-seconds", "1.5",
                "--drops-per-subscriber", "1",
                "--reconnect-delay-ms", "300",
                "--drop-mode", "burst");

            assertEquals(LoadgenCommand.EXIT_CHECK_FAILED, run.exit, run.json);
            assertEquals(subscribers, number(run.json, "selfDrops"), run.json);
            assertEquals(subscribers, number(run.json, "checkFailed"), run.json);
            assertTrue(number(run.json, "resets") >= subscribers, run.json);
            assertTrue(run.json.contains("\"exactCheckPassed\": false"), run.json);
        }
    }

    private static void assertStormPassed(final Run run, final int subscribers)
    {
        final String json = run.json;
        assertEquals(0, run.exit, json);
        assertEquals(subscribers, number(json, "checked"), json);
        assertEquals(0, number(json, "checkFailed"), json);
        assertEquals(0, number(json, "unionMissing"), json);
        assertEquals(0, number(json, "unionDuplicates"), json);
        assertEquals(0, number(json, "unionOutside"), json);
        assertEquals(0, number(json, "resets"), json);
        assertEquals(0, number(json, "neverConnected"), json);
        assertEquals((long)subscribers * DROPS, number(json, "selfDrops"), json);
        assertEquals(0, number(json, "dropsNotMade"), json);
        assertEquals(0, number(json, "notBack"), json);
        assertEquals(subscribers, number(json, "connected"), json);
        assertEquals(number(json, "planned"), number(json, "acked"), json);
        assertTrue(json.contains("\"exactCheckPassed\": true"), json);
        // One reconnect time per drop; each includes the reconnect delay.
        final Matcher reconnect = Pattern.compile("\"reconnectUs\": \\{\"count\": ([0-9]+), \"p50\": ([0-9]+)").matcher(json);
        assertTrue(reconnect.find(), json);
        assertEquals((long)subscribers * DROPS, Long.parseLong(reconnect.group(1)), json);
        assertTrue(Long.parseLong(reconnect.group(2)) >= TimeUnit.MILLISECONDS.toMicros(RECONNECT_DELAY_MS), json);
    }

    private static Run run(final int httpPort, final int ingestPort, final Path out, final String... args)
        throws IOException
    {
        final List<String> all = new ArrayList<>(Arrays.asList(
            "--sub-url", "http://127.0.0.1:" + httpPort + "/events?topic={topic}",
            "--publish", "ingest://127.0.0.1:" + ingestPort,
            "--rate", "100",
            "--drops-per-subscriber", Integer.toString(DROPS),
            "--reconnect-delay-ms", Long.toString(RECONNECT_DELAY_MS),
            "--ramp-seconds", "2",
            "--warmup-seconds", "1",
            "--drain-seconds", "3",
            "--out", out.toString(),
            "--label", "reconnect-storm"));
        // Later options win: a test's own settings override these defaults.
        all.addAll(Arrays.asList(args));
        final int exit = new CommandLine(new LoadgenCommand()).setOverwrittenOptionsAllowed(true)
            .execute(all.toArray(new String[0]));
        return new Run(exit, Files.readString(out.resolve("summary.json"), StandardCharsets.UTF_8));
    }

    private static double number(final String json, final String key)
    {
        final Matcher matcher = Pattern.compile("\"" + key + "\": (-?[0-9.]+)").matcher(json);
        assertTrue(matcher.find(), key + " in " + json);
        return Double.parseDouble(matcher.group(1));
    }

    private record Run(int exit, String json)
    {
    }
}

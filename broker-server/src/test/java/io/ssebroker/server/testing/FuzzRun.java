package io.ssebroker.server.testing;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import io.ssebroker.test.LeakDetectionExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What every fuzz target checks besides its own answers, and how often: after each input, that
 * nothing was logged at {@code WARNING} (where every unexpected exception that reaches a handler
 * goes, and Netty's own reports); every {@link
 * #PROBE_EVERY} inputs, that the broker still serves over its real sockets ({@link ServingProbe}: a
 * stream opened before the first input receives an HTTP and an ingest publish); every {@link
 * #LEAK_CHECK_EVERY} inputs, that Netty's paranoid leak detector reported nothing. Prints the rate
 * every ten seconds and a summary at the end, to the test's output file.
 * <p>
 * <b>Threading:</b> the test thread.
 */
public final class FuzzRun implements AutoCloseable
{
    /** Inputs between two checks over the real sockets; the in-memory connection of each input is checked every time. */
    public static final long PROBE_EVERY = 1000;

    /** Inputs between two leak checks (each collects garbage three times). */
    public static final long LEAK_CHECK_EVERY = 50_000;

    private static final long REPORT_INTERVAL_NS = TimeUnit.SECONDS.toNanos(10);

    private final String target;
    private final LocalPorts ports;
    private final ServingProbe probe;
    private final WarningLog warnings;
    private final long startNs = System.nanoTime();
    private long inputs;
    private long probes;
    private long nextReportNs = startNs + REPORT_INTERVAL_NS;

    private FuzzRun(final String target, final LocalPorts ports, final ServingProbe probe, final WarningLog warnings)
    {
        this.target = target;
        this.ports = ports;
        this.probe = probe;
        this.warnings = warnings;
    }

    /**
     * Attaches the in-memory ports the inputs go through, opens the serving probe's stream on the broker and starts
     * recording warnings.
     */
    public static FuzzRun start(final String target, final BrokerExtension broker) throws IOException
    {
        final LocalPorts ports = LocalPorts.attach(broker.broker());
        try
        {
            return new FuzzRun(target, ports, ServingProbe.open(broker.httpPort(), broker.ingestPort()),
                WarningLog.install());
        }
        catch (final IOException | RuntimeException ex)
        {
            ports.close();
            throw ex;
        }
    }

    /** The in-memory ports of the broker's real pipelines, one connection per input. */
    public LocalPorts ports()
    {
        return ports;
    }

    /** One input's exchange with the broker and its checks. */
    @FunctionalInterface
    public interface Target
    {
        void exchange(byte[] input) throws IOException;
    }

    /**
     * Runs one input through {@code exchange}, then {@link #afterInput}. A failure is also written,
     * with the input, to {@code target/fuzz/<target>-finding.txt} and to the process's own stderr
     * (libFuzzer's output goes there too), where a build log shows it whatever surefire makes of the
     * finding: one raised outside the test's frames once reached surefire as no result at all.
     */
    public void check(final byte[] input, final Target exchange) throws IOException
    {
        try
        {
            exchange.exchange(input);
            afterInput(FuzzInputs.described(input));
        }
        catch (final Throwable failure)
        {
            report(input, failure);
            throw failure;
        }
    }

    private void report(final byte[] input, final Throwable failure)
    {
        final StringWriter text = new StringWriter();
        final PrintWriter out = new PrintWriter(text);
        out.println("fuzz " + target + " finding after " + inputs + " inputs; input (base64): " +
            Base64.getEncoder().encodeToString(input));
        failure.printStackTrace(out);
        out.flush();
        final byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        try
        {
            final FileOutputStream stderr = new FileOutputStream(FileDescriptor.err);
            stderr.write(bytes);
            stderr.flush();
            final Path file = Path.of("target", "fuzz", target + "-finding.txt");
            Files.createDirectories(file.getParent());
            Files.write(file, bytes);
        }
        catch (final IOException | RuntimeException ex)
        {
            failure.addSuppressed(ex);
        }
    }

    /**
     * Checks what every input must leave behind; call after each input, once its connection is closed.
     *
     * @param input described in a failure, to tell which input it was.
     */
    public void afterInput(final Object input) throws IOException
    {
        inputs++;
        // Every exception that reaches a handler is logged at WARNING (ConnectionErrors) unless it is
        // an I/O error, which an in-memory connection has none of but a closed peer's
        // ClosedChannelException: so the handler_exceptions counter, which also counts the probe's
        // sockets being reset, is not a check; the log is.
        final String logged = warnings.drain();
        if (!logged.isEmpty())
        {
            fail("input " + input + ": logged:\n" + logged);
        }
        if (0 == inputs % PROBE_EVERY)
        {
            probe();
            assertEquals("", warnings.drain(), "logged while probing after input " + input);
        }
        if (0 == inputs % LEAK_CHECK_EVERY)
        {
            assertNoLeak();
        }
        final long nowNs = System.nanoTime();
        if (nowNs - nextReportNs >= 0)
        {
            nextReportNs = nowNs + REPORT_INTERVAL_NS;
            System.out.println(summary(nowNs));
        }
    }

    /**
     * The probe's sockets, to the broker on loopback, are the only network connections a fuzz target
     * makes on purpose; Jazzer's SSRF detector reports any other as a finding.
     */
    private void probe() throws IOException
    {
        try (SilentCloseable loopback = BugDetectors.allowNetworkConnections(
            (host, port) -> "127.0.0.1".equals(host) || "localhost".equals(host)))
        {
            probe.assertStillServing();
        }
        probes++;
    }

    private void assertNoLeak()
    {
        final List<String> leaks = LeakDetectionExtension.detectNow();
        if (!leaks.isEmpty())
        {
            fail("Netty reported " + leaks.size() + " leak(s) within the last " + LEAK_CHECK_EVERY + " inputs:\n" +
                String.join("\n----\n", leaks));
        }
    }

    private String summary(final long nowNs)
    {
        final double seconds = (nowNs - startNs) / 1e9;
        return String.format("fuzz %s: %d inputs in %.1f s (%.0f/s), %d serving probes passed",
            target, inputs, seconds, inputs / Math.max(seconds, 1e-9), probes);
    }

    /**
     * Probes once more, checks for leaks, prints the summary and stops recording.
     */
    @Override
    public void close() throws IOException
    {
        try
        {
            probe();
            assertNoLeak();
            assertEquals("", warnings.drain(), "logged at the end of the run");
            System.out.println(summary(System.nanoTime()));
        }
        finally
        {
            warnings.close();
            try
            {
                probe.close();
            }
            finally
            {
                ports.close();
            }
        }
    }
}

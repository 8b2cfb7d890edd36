package io.ssebroker.loadgen;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

/**
 * A child JVM running a share of the subscribers: started with the same java binary and class path, it prints
 * a progress line every second and one result line at the end on its standard output, which a reader thread
 * parses here. Its standard error is passed through.
 * <p>
 * Progress line: {@code LOADGEN-PROGRESS connected=.. received=.. delivered=.. gaps=.. duplicates=..
 * connectErrors=.. reconnects=.. histogram=<base64 interval histogram>}.
 * <p>
 * <b>Threading:</b> started and awaited by the command's thread; the reader thread writes the latest progress
 * (volatile fields) and the interval histogram (under its monitor) that the command's thread reads.
 */
final class ChildProcess
{
    static final String PROGRESS_PREFIX = "LOADGEN-PROGRESS ";

    private final int index;
    private final Process process;
    private final Thread reader;
    private final Histogram interval = new Histogram(LoopStats.HIGHEST_LATENCY_US, LoopStats.SIGNIFICANT_DIGITS);
    private volatile long[] progress = new long[LoopStats.COUNTERS];
    private volatile LoadSummary result;
    private volatile String failure;

    private ChildProcess(final int index, final Process process)
    {
        this.index = index;
        this.process = process;
        this.reader = new Thread(this::readOutput, "loadgen-child-" + index);
        this.reader.setDaemon(true);
        this.reader.start();
    }

    /**
     * Starts a child running {@link LoadgenCommand} with the given arguments.
     *
     * @param index   child number, for messages.
     * @param jvmOptions options for the child JVM, e.g. heap size.
     * @param args    command arguments.
     * @return the started child.
     * @throws IOException when the JVM cannot be started.
     */
    static ChildProcess start(final int index, final List<String> jvmOptions, final List<String> args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(
            System.getProperty("java.home") + "/bin/java"));
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(LoadgenCommand.class.getName());
        command.addAll(args);
        final Process process = new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .redirectInput(ProcessBuilder.Redirect.PIPE)
            .start();
        process.getOutputStream().close();
        // A parent stopped by a signal runs shutdown hooks, not finally blocks: take the child with it.
        final Thread reaper = new Thread(process::destroy, "loadgen-child-" + index + "-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
        process.onExit().thenRun(() -> removeShutdownHook(reaper));
        return new ChildProcess(index, process);
    }

    private static void removeShutdownHook(final Thread hook)
    {
        try
        {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (final IllegalStateException shuttingDown)
        {
            // The JVM is already exiting and runs the hook; nothing to undo.
        }
    }

    /**
     * @param counter a {@link LoopStats} counter.
     * @return its latest value reported by the child.
     */
    long progress(final int counter)
    {
        return progress[counter];
    }

    /**
     * Moves the latencies reported since the last call into a histogram.
     *
     * @param into destination.
     */
    void drainInterval(final Histogram into)
    {
        synchronized (interval)
        {
            into.add(interval);
            interval.reset();
        }
    }

    /**
     * Waits for the child to exit, destroying it (this child only, by its handle) if it overruns.
     *
     * @param timeoutMs longest wait.
     * @return the child's result.
     * @throws IllegalStateException when the child failed or printed no result.
     */
    LoadSummary await(final long timeoutMs)
    {
        try
        {
            if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
            {
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS))
                {
                    process.destroyForcibly();
                }
                throw new IllegalStateException("child " + index + " did not finish within " + timeoutMs + " ms");
            }
            reader.join(5_000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            process.destroy();
            throw new IllegalStateException("interrupted waiting for child " + index, ex);
        }
        if (null == result)
        {
            throw new IllegalStateException("child " + index + " exited with " + process.exitValue() +
                " without a result" + (null == failure ? "" : ": " + failure));
        }
        return result;
    }

    /**
     * Ends the child if it still runs; for error paths.
     */
    void destroy()
    {
        if (process.isAlive())
        {
            process.destroy();
        }
    }

    private void readOutput()
    {
        try (BufferedReader in = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            for (String line = in.readLine(); null != line; line = in.readLine())
            {
                if (line.startsWith(LoadSummary.RESULT_PREFIX))
                {
                    result = LoadSummary.fromLine(line);
                }
                else if (line.startsWith(PROGRESS_PREFIX))
                {
                    onProgress(line);
                }
                else
                {
                    System.err.println("[child " + index + "] " + line);
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            failure = String.valueOf(ex);
        }
    }

    private void onProgress(final String line)
    {
        final long[] values = new long[LoopStats.COUNTERS];
        for (final String field : line.substring(PROGRESS_PREFIX.length()).trim().split(" "))
        {
            final int equals = field.indexOf('=');
            if (equals <= 0)
            {
                continue;
            }
            final String name = field.substring(0, equals);
            final String value = field.substring(equals + 1);
            if ("histogram".equals(name))
            {
                final Histogram histogram = LoadSummary.decodeHistogram(value);
                synchronized (interval)
                {
                    interval.add(histogram);
                }
            }
            else
            {
                final int counter = counterIndex(name);
                if (counter >= 0)
                {
                    values[counter] = Long.parseLong(value);
                }
            }
        }
        progress = values;
    }

    /**
     * @param stats a child's subscriber set.
     * @param interval latencies since the last progress line.
     * @return the child's progress line.
     */
    static String progressLine(final SubscriberSet stats, final Histogram interval)
    {
        final StringBuilder line = new StringBuilder(PROGRESS_PREFIX);
        for (int counter = 0; counter < LoopStats.COUNTERS; counter++)
        {
            line.append(LoopStats.NAMES[counter]).append('=').append(stats.sum(counter)).append(' ');
        }
        return line.append("histogram=").append(LoadSummary.encodeHistogram(interval)).toString();
    }

    private static int counterIndex(final String name)
    {
        for (int i = 0; i < LoopStats.NAMES.length; i++)
        {
            if (LoopStats.NAMES[i].equals(name))
            {
                return i;
            }
        }
        return -1;
    }
}

package io.ssebroker.server.testing.browser;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * One headless Chromium, started as a child process on one page and killed by {@link #close()}.
 * <p>
 * Each instance has its own fresh temporary directory: the profile ({@code --user-data-dir}), and
 * {@code HOME} and the XDG directories, so nothing is read from or left in the user's home. Flags keep
 * the browser off the network apart from the loopback page and broker: no background networking,
 * component updates, sync or proxy, and no QUIC. The profile's preferences turn network prediction
 * off, so the browser opens no speculative connections and a test can count the ones it makes.
 *
 * <h2>Processes</h2>
 * Chromium forks zygotes, renderers, a GPU and a network process under the browser, and starts
 * crashpad handlers that detach from it (their parent becomes init). {@link #close()} therefore kills
 * the browser by its {@link Process} handle, every descendant it had, and every process whose command
 * line names this instance's temporary directory, then waits for all of them to end.
 * <p>
 * <b>Threading:</b> one test thread.
 */
public final class HeadlessChromium implements AutoCloseable
{
    private static final long EXIT_TIMEOUT_MS = 10_000;

    private final Process process;
    private final Path home;
    private final Path log;

    private HeadlessChromium(final Process process, final Path home, final Path log)
    {
        this.process = process;
        this.home = home;
        this.log = log;
    }

    /**
     * @return the {@code chromium} executable on the {@code PATH}, or null when it is not installed.
     */
    public static String executable()
    {
        for (final String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        {
            final File candidate = new File(dir, "chromium");
            if (candidate.isFile() && candidate.canExecute())
            {
                return candidate.getPath();
            }
        }
        return null;
    }

    /**
     * Starts Chromium headless on the given page.
     */
    public static HeadlessChromium open(final URI page) throws IOException
    {
        return open(page, List.of());
    }

    /**
     * Starts Chromium headless on the given page, with extra command-line flags after the usual ones
     * (e.g. {@code --ignore-certificate-errors-spki-list=...} for a broker's self-signed certificate).
     */
    public static HeadlessChromium open(final URI page, final List<String> extraFlags) throws IOException
    {
        final String executable = executable();
        if (null == executable)
        {
            throw new IllegalStateException("chromium is not on the PATH");
        }
        final Path home = Files.createTempDirectory("headless-chromium-");
        final Path profile = Files.createDirectory(home.resolve("profile"));
        final Path log = home.resolve("chromium.log");
        writePreferences(profile);
        final List<String> command = new ArrayList<>(List.of(
            executable,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-proxy-server",
            "--user-data-dir=" + profile));
        command.addAll(extraFlags);
        command.add(page.toString());
        final ProcessBuilder builder = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
        final Map<String, String> env = builder.environment();
        env.put("HOME", home.toString());
        env.put("XDG_CONFIG_HOME", home.resolve("config").toString());
        env.put("XDG_CACHE_HOME", home.resolve("cache").toString());
        try
        {
            return new HeadlessChromium(builder.start(), home, log);
        }
        catch (final IOException ex)
        {
            deleteTree(home);
            throw ex;
        }
    }

    /**
     * @return whether the browser process is still running (it exits early only when it fails).
     */
    public boolean isAlive()
    {
        return process.isAlive();
    }

    /**
     * @return the last lines Chromium wrote to stdout and stderr, for failure messages.
     */
    public String logTail()
    {
        try
        {
            final List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        }
        catch (final IOException | UncheckedIOException ex)
        {
            return "(no log: " + ex + ")";
        }
    }

    /**
     * Kills the browser and every process it started, waits until they are gone and deletes the
     * temporary directory.
     *
     * @throws IllegalStateException when a process is still alive after the deadline.
     */
    @Override
    public void close()
    {
        // Descendants first, while they are still linked to the browser: once it dies they are
        // re-parented and no longer found through it.
        final List<ProcessHandle> processes = new ArrayList<>();
        process.descendants().forEach(processes::add);
        process.destroyForcibly();
        processes.forEach(ProcessHandle::destroyForcibly);
        final String marker = home.toString() + File.separator;
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses())
        {
            all.filter(p -> p.info().commandLine().map(line -> line.contains(marker)).orElse(false))
                .forEach(p ->
                {
                    p.destroyForcibly();
                    processes.add(p);
                });
        }

        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EXIT_TIMEOUT_MS);
        final List<ProcessHandle> survivors = new ArrayList<>();
        try
        {
            if (!process.waitFor(EXIT_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                survivors.add(process.toHandle());
            }
            for (final ProcessHandle handle : processes)
            {
                try
                {
                    handle.onExit().get(Math.max(1, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
                }
                catch (final TimeoutException ex)
                {
                    survivors.add(handle);
                }
                catch (final ExecutionException ex)
                {
                    throw new IllegalStateException("waiting for chromium process " + handle.pid(), ex);
                }
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for chromium to exit", ex);
        }
        if (!survivors.isEmpty())
        {
            throw new IllegalStateException("chromium processes still alive " + EXIT_TIMEOUT_MS + " ms after being killed: " +
                survivors.stream().map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList());
        }
        deleteTree(home);
    }

    /**
     * Seeds the profile with "do not predict network actions" (the pref behind Chromium's
     * {@code NetworkPredictionOptions} policy). Without it Chromium preconnects to the page's origin
     * at start-up: over TLS two speculative connections both negotiate h2, the broker counts both,
     * and Chromium closes the one it does not need, so a test cannot count connections.
     */
    private static void writePreferences(final Path profile) throws IOException
    {
        Files.writeString(Files.createDirectory(profile.resolve("Default")).resolve("Preferences"),
            "{\"net\":{\"network_prediction_options\":2}}", StandardCharsets.UTF_8);
    }

    private static void deleteTree(final Path root)
    {
        try (Stream<Path> paths = Files.walk(root))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("deleting chromium's temporary directory " + root, ex);
        }
    }
}

package io.ssebroker.server.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An external client (curl, nghttp) run as a subprocess whose stdout and stderr are read by a
 * thread each into buffers the test thread reads, so a test can wait for output while the process
 * runs. The reader threads only copy bytes; the test thread waits ({@link Await}) and asserts.
 * <p>
 * Callers bound the process's own run time too (curl {@code --max-time}, nghttp {@code --timeout});
 * {@link #close()} destroys it in any case.
 * <p>
 * <b>Threading:</b> one test thread; the accessors may be called while the process runs.
 */
public final class ToolProcess implements AutoCloseable
{
    private final List<String> command;
    private final Process process;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final Thread stdoutReader;
    private final Thread stderrReader;

    private ToolProcess(final List<String> command) throws IOException
    {
        this.command = List.copyOf(command);
        this.process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        this.stdoutReader = drain(process.getInputStream(), stdout, "stdout");
        this.stderrReader = drain(process.getErrorStream(), stderr, "stderr");
    }

    /**
     * Starts {@code executable args...}.
     */
    public static ToolProcess start(final String executable, final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(executable);
        command.addAll(List.of(args));
        return new ToolProcess(command);
    }

    private Thread drain(final InputStream in, final ByteArrayOutputStream into, final String name)
    {
        final Thread reader = new Thread(() ->
        {
            final byte[] buffer = new byte[16 * 1024];
            try (in)
            {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer))
                {
                    synchronized (into)
                    {
                        into.write(buffer, 0, n);
                    }
                }
            }
            catch (final IOException ignored)
            {
                // The process was destroyed: what was read so far is kept.
            }
        }, command.get(0) + "-" + name);
        reader.setDaemon(true);
        reader.start();
        return reader;
    }

    public String stdout()
    {
        synchronized (stdout)
        {
            return stdout.toString(StandardCharsets.UTF_8);
        }
    }

    public String stderr()
    {
        synchronized (stderr)
        {
            return stderr.toString(StandardCharsets.UTF_8);
        }
    }

    /**
     * @return the stdout bytes read so far.
     */
    public byte[] stdoutBytes()
    {
        synchronized (stdout)
        {
            return stdout.toByteArray();
        }
    }

    public boolean isAlive()
    {
        return process.isAlive();
    }

    /**
     * Waits for the process to exit by itself and for its output to be read.
     *
     * @return the exit status; fails when it does not exit within the timeout.
     */
    public int awaitExit(final long timeoutMs) throws InterruptedException
    {
        if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
        {
            throw new AssertionError(this + " did not exit within " + timeoutMs + " ms");
        }
        stdoutReader.join(timeoutMs);
        stderrReader.join(timeoutMs);
        return process.exitValue();
    }

    /**
     * Destroys the process if it still runs and waits for it and its readers.
     */
    @Override
    public void close() throws InterruptedException
    {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        stdoutReader.join(5000);
        stderrReader.join(5000);
    }

    @Override
    public String toString()
    {
        return String.join(" ", command);
    }
}

package io.ssebroker.server.testing;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A cluster node in a process of its own ({@code io.ssebroker.server.ServeCommand} on this test's class path), for
 * the failure tests that need a real process to kill or freeze. Its output goes to {@code target/<log name>.log},
 * kept for a failure's diagnosis.
 * <p>
 * <b>Threading:</b> one test thread.
 */
public final class NodeProcess implements AutoCloseable
{
    private final Process process;
    private final int httpPort;
    private final int ingestPort;

    private NodeProcess(final Process process, final int httpPort, final int ingestPort)
    {
        this.process = process;
        this.httpPort = httpPort;
        this.ingestPort = ingestPort;
    }

    /**
     * Starts a node on free ports joined to {@code natsUrl} and waits until {@code /ready} answers 200.
     *
     * @param extraArgs further {@code serve} arguments.
     */
    public static NodeProcess start(final String natsUrl, final String logName, final String... extraArgs)
        throws IOException, InterruptedException
    {
        final int httpPort = freePort();
        final int ingestPort = freePort();
        final String java = ProcessHandle.current().info().command().orElse("java");
        final List<String> command = new ArrayList<>(List.of(java, "-Xmx256m",
            "-cp", System.getProperty("java.class.path"), "io.ssebroker.server.ServeCommand",
            "--host", "127.0.0.1", "--nats-url", natsUrl,
            "--http-port", Integer.toString(httpPort), "--ingest-port", Integer.toString(ingestPort)));
        command.addAll(List.of(extraArgs));
        final Process process = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(new File("target", logName + ".log"))
            .start();
        final NodeProcess node = new NodeProcess(process, httpPort, ingestPort);
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() - deadlineNs < 0)
        {
            if (!process.isAlive())
            {
                fail("node process exited with " + process.exitValue() + "; see target/" + logName + ".log");
            }
            if (node.isReady())
            {
                return node;
            }
            Thread.sleep(50);
        }
        process.destroyForcibly();
        fail("node did not become ready within 30 s; see target/" + logName + ".log");
        return node;
    }

    public int httpPort()
    {
        return httpPort;
    }

    public int ingestPort()
    {
        return ingestPort;
    }

    /**
     * @return true when {@code /ready} answers 200 within the socket timeout.
     */
    public boolean isReady()
    {
        try
        {
            return 200 == RawHttp.get(httpPort, "/ready").status();
        }
        catch (final IOException notYet)
        {
            return false;
        }
    }

    /**
     * @return the exit status once the process ends within the timeout, or -1 while it still runs.
     */
    public int awaitExit(final long timeoutMs) throws InterruptedException
    {
        return process.waitFor(timeoutMs, TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /** {@code kill -9}: no shutdown path runs. */
    public void kill() throws InterruptedException
    {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** {@code SIGSTOP}: every thread of the node stops where it is, event loops included, until {@link #resume}. */
    public void freeze() throws IOException, InterruptedException
    {
        signal("STOP");
    }

    /** {@code SIGCONT} after {@link #freeze}. */
    public void resume() throws IOException, InterruptedException
    {
        signal("CONT");
    }

    private void signal(final String name) throws IOException, InterruptedException
    {
        final Process kill;
        try
        {
            kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).redirectErrorStream(true).start();
        }
        catch (final IOException ex)
        {
            throw new IOException("the kill program is needed (Debian package procps): " + ex.getMessage(), ex);
        }
        assertEquals(0, kill.waitFor(), "kill -" + name + " " + process.pid());
    }

    /** Kills the node if it still runs (SIGKILL ends a frozen one too). */
    @Override
    public void close() throws InterruptedException
    {
        kill();
    }

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0))
        {
            return socket.getLocalPort();
        }
    }
}

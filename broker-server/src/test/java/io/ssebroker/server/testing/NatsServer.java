package io.ssebroker.server.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real {@code nats-server -js} (Debian's {@code nats-server} package) on a free loopback port with its own store
 * directory, for the cluster tests. {@link #restart()} stops it and starts it again on the same port and store, as an
 * operator's restart would; {@link #close()} stops it and deletes the store. The test fails, naming the package, when
 * the server is not installed: {@code .ci/run} installs it.
 * <p>
 * <b>Threading:</b> one test thread.
 */
public final class NatsServer implements AutoCloseable
{
    private final String executable;
    private final Path store;
    private final int port;
    private Process process;

    private NatsServer(final String executable, final Path store, final int port)
    {
        this.executable = executable;
        this.store = store;
        this.port = port;
    }

    /** Starts a JetStream server and waits until it accepts connections. */
    public static NatsServer start() throws IOException
    {
        String executable = ExternalTools.find("nats-server");
        if (null == executable && Files.isExecutable(Path.of("/usr/sbin/nats-server")))
        {
            executable = "/usr/sbin/nats-server";
        }
        if (null == executable)
        {
            fail("nats-server is not installed: the cluster tests need it; install the Debian package nats-server " +
                "(apt-get install nats-server), as .ci/run does");
        }
        final int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            port = probe.getLocalPort();
        }
        final NatsServer server = new NatsServer(executable, Files.createTempDirectory("nats-store"), port);
        server.launch();
        return server;
    }

    /** {@code nats://127.0.0.1:PORT}. */
    public String url()
    {
        return "nats://127.0.0.1:" + port;
    }

    /** Kills the server (SIGKILL: nothing flushed on the way out beyond what JetStream already synced). */
    public void kill() throws InterruptedException
    {
        if (null != process)
        {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            process = null;
        }
    }

    /** Starts a killed server again on the same port and store. */
    public void launch() throws IOException
    {
        process = new ProcessBuilder(executable, "-js", "-a", "127.0.0.1", "-p", Integer.toString(port),
            "-sd", store.toString())
            .redirectErrorStream(true)
            .redirectOutput(store.resolveSibling(store.getFileName() + ".log").toFile())
            .start();
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() - deadlineNs < 0)
        {
            try (Socket socket = new Socket())
            {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            }
            catch (final IOException notYet)
            {
                if (!process.isAlive())
                {
                    fail("nats-server exited at start with " + process.exitValue());
                }
                try
                {
                    Thread.sleep(20);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        fail("nats-server did not accept connections on port " + port + " within 10 s");
    }

    /** Stops the server (SIGTERM, as an operator's restart does) and starts it again on the same port and store. */
    public void restart() throws IOException, InterruptedException
    {
        if (null != process)
        {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        launch();
    }

    @Override
    public void close() throws IOException, InterruptedException
    {
        kill();
        try (Stream<Path> files = Files.walk(store))
        {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
        Files.deleteIfExists(store.resolveSibling(store.getFileName() + ".log"));
    }
}

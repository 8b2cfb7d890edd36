package io.ssebroker.server.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A loopback TCP relay whose connections can be cut at any moment, as a flaky link would: each
 * accepted connection is relayed to the target by two pump threads, and {@link #cut()} resets both
 * sides of every live connection at once (SO_LINGER 0), dropping whatever bytes the relay holds.
 * <p>
 * <b>Threading:</b> {@link #cut()} and {@link #close()} from any thread.
 */
public final class CuttableProxy implements AutoCloseable
{
    private final ServerSocket server;
    private final int targetPort;
    private final List<Socket> live = new ArrayList<>();
    private final Thread acceptor;
    private final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean closed;

    public CuttableProxy(final int targetPort) throws IOException
    {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "cuttable-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Connections relayed so far. */
    public int accepted()
    {
        return accepted.get();
    }

    public int port()
    {
        return server.getLocalPort();
    }

    /**
     * Resets every connection relayed now.
     *
     * @return how many connection pairs were cut.
     */
    public int cut()
    {
        final List<Socket> victims;
        synchronized (live)
        {
            victims = new ArrayList<>(live);
            live.clear();
        }
        for (final Socket socket : victims)
        {
            reset(socket);
        }
        return victims.size() / 2;
    }

    @Override
    public void close() throws IOException
    {
        closed = true;
        server.close();
        cut();
    }

    private void acceptLoop()
    {
        while (!closed)
        {
            try
            {
                final Socket client = server.accept();
                final Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                synchronized (live)
                {
                    live.add(client);
                    live.add(upstream);
                }
                pump(client, upstream);
                pump(upstream, client);
                accepted.incrementAndGet();
            }
            catch (final IOException ex)
            {
                // Server closed, or the target refused: the client sees its connection end.
            }
        }
    }

    private static void pump(final Socket from, final Socket to)
    {
        final Thread thread = new Thread(() ->
        {
            final byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream())
            {
                int read;
                while ((read = in.read(buffer)) >= 0)
                {
                    out.write(buffer, 0, read);
                }
            }
            catch (final IOException ex)
            {
                // Cut or closed.
            }
            finally
            {
                reset(from);
                reset(to);
            }
        }, "cuttable-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private static void reset(final Socket socket)
    {
        try
        {
            socket.setSoLinger(true, 0);
            socket.close();
        }
        catch (final IOException ex)
        {
            // Already closed.
        }
    }
}

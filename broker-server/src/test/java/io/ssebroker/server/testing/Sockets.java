package io.ssebroker.server.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/**
 * The blocking-socket steps {@link RawHttpConnection} and {@link IngestWire} share: connecting to the
 * loopback address with a bounded read timeout, and waiting for the broker to close.
 * <p>
 * <b>Threading:</b> the calling thread.
 */
final class Sockets
{
    /** Every read waits at most this long, so a missing byte fails the test instead of hanging it. */
    static final int DEFAULT_TIMEOUT_MS = 10_000;

    private Sockets()
    {
    }

    /**
     * Connects to a loopback port with Nagle off and reads bounded by {@link #DEFAULT_TIMEOUT_MS}.
     */
    static Socket connectLoopback(final int port) throws IOException
    {
        final Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(DEFAULT_TIMEOUT_MS);
        socket.setTcpNoDelay(true);
        return socket;
    }

    /**
     * Waits for the peer to close: end of stream, or a reset (the peer closed with our bytes unread).
     * Fails if more data arrives first.
     *
     * @return true when closed within the socket timeout, false when the timeout passed.
     */
    static boolean awaitClose(final InputStream in) throws IOException
    {
        try
        {
            final int b = in.read();
            if (b >= 0)
            {
                throw new IOException("expected the connection to close, but read byte 0x" + Integer.toHexString(b));
            }
            return true;
        }
        catch (final SocketTimeoutException ex)
        {
            return false;
        }
        catch (final SocketException ex)
        {
            return true;
        }
    }
}

package io.ssebroker.server.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One HTTP/1.1 connection over a plain {@link Socket}, for asserting exact bytes and sending requests
 * no well-behaved client would. Every read is bounded by the socket timeout (10 s unless changed, see
 * {@link Sockets#DEFAULT_TIMEOUT_MS}), so a missing byte fails the test instead of hanging it.
 * <p>
 * <b>Threading:</b> one thread at a time.
 */
public final class RawHttpConnection implements AutoCloseable
{
    /** {@link #peek} result when nothing arrived in time. */
    public static final int TIMED_OUT = -2;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawHttpConnection(final Socket socket) throws IOException
    {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = socket.getOutputStream();
    }

    /**
     * Connects to a loopback port.
     */
    public static RawHttpConnection open(final int port) throws IOException
    {
        return new RawHttpConnection(Sockets.connectLoopback(port));
    }

    public Socket socket()
    {
        return socket;
    }

    public RawHttpConnection send(final String ascii) throws IOException
    {
        return send(ascii.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawHttpConnection send(final byte[] bytes) throws IOException
    {
        out.write(bytes);
        out.flush();
        return this;
    }

    /**
     * Reads the status line and headers up to and including the blank line.
     */
    public String readHead() throws IOException
    {
        final ByteArrayOutputStream head = new ByteArrayOutputStream(256);
        int matched = 0;
        while (matched < 4)
        {
            final int b = readByte();
            head.write(b);
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : ('\r' == b ? 1 : 0);
            if (head.size() > 64 * 1024)
            {
                throw new IOException("response head over 64 KiB");
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /**
     * Reads a complete response whose body is delimited by Content-Length (or absent).
     */
    public RawResponse readResponse() throws IOException
    {
        final String head = readHead();
        final RawResponse withoutBody = new RawResponse(head, new byte[0]);
        final String length = withoutBody.header("Content-Length");
        if (null == length)
        {
            return withoutBody;
        }
        return new RawResponse(head, readExactly(Integer.parseInt(length)));
    }

    /**
     * Reads one chunk of a chunked body and returns its exact bytes: the hex size line with its CRLF,
     * the payload and the CRLF after it. Fails when the framing is not exactly that.
     */
    public byte[] readChunk() throws IOException
    {
        final ByteArrayOutputStream raw = new ByteArrayOutputStream(128);
        int size = 0;
        int digits = 0;
        while (true)
        {
            final int b = readByte();
            raw.write(b);
            final int digit = Character.digit(b, 16);
            if (digit >= 0)
            {
                size = size * 16 + digit;
                if (++digits > 7)
                {
                    throw new IOException("chunk size line too long: " + raw);
                }
                continue;
            }
            if ('\r' == b && digits > 0 && '\n' == readByteInto(raw))
            {
                break;
            }
            throw new IOException("malformed chunk size line: " +
                SseText.printable(raw.toString(StandardCharsets.ISO_8859_1)));
        }
        raw.write(readExactly(size));
        final byte[] trailer = readExactly(2);
        raw.write(trailer);
        if ('\r' != trailer[0] || '\n' != trailer[1])
        {
            throw new IOException("chunk of " + size + " bytes not followed by CRLF: " +
                SseText.printable(raw.toString(StandardCharsets.ISO_8859_1)));
        }
        return raw.toByteArray();
    }

    public byte[] readExactly(final int length) throws IOException
    {
        final byte[] bytes = new byte[length];
        int read = 0;
        while (read < length)
        {
            final int n = in.read(bytes, read, length - read);
            if (n < 0)
            {
                throw new EOFException("connection closed after " + read + " of " + length + " bytes");
            }
            read += n;
        }
        return bytes;
    }

    /**
     * Reads whatever is available, at most {@code max} bytes, blocking until at least one arrives.
     *
     * @return the bytes, or null at end of stream.
     */
    public byte[] readSome(final int max) throws IOException
    {
        final byte[] bytes = new byte[max];
        final int n = in.read(bytes);
        return n < 0 ? null : Arrays.copyOf(bytes, n);
    }

    /**
     * Waits at most {@code timeoutMs} for the next byte without consuming it.
     *
     * @return the byte, -1 at end of stream, or {@link #TIMED_OUT}.
     */
    public int peek(final int timeoutMs) throws IOException
    {
        final int previousTimeoutMs = socket.getSoTimeout();
        socket.setSoTimeout(timeoutMs);
        try
        {
            in.mark(1);
            final int b = in.read();
            in.reset();
            return b;
        }
        catch (final SocketTimeoutException ex)
        {
            return TIMED_OUT;
        }
        finally
        {
            socket.setSoTimeout(previousTimeoutMs);
        }
    }

    /**
     * Waits for the peer to close: end of stream, or a reset (the peer closed with our bytes unread).
     * Fails if more data arrives first.
     *
     * @return true when closed within the socket timeout, false when the timeout passed.
     */
    public boolean awaitClose() throws IOException
    {
        return Sockets.awaitClose(in);
    }

    private int readByte() throws IOException
    {
        final int b = in.read();
        if (b < 0)
        {
            throw new EOFException("connection closed");
        }
        return b;
    }

    private int readByteInto(final ByteArrayOutputStream raw) throws IOException
    {
        final int b = readByte();
        raw.write(b);
        return b;
    }

    @Override
    public void close() throws IOException
    {
        socket.close();
    }
}

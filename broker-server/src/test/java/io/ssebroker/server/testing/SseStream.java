package io.ssebroker.server.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An event stream read chunk by chunk off a raw socket. {@link #open} sends the request, reads the
 * response head and the preamble chunk; the broker writes and flushes both only once the subscriber
 * is registered, so an event published after {@code open} returns is delivered to it.
 * <p>
 * <b>Threading:</b> one thread at a time.
 */
public final class SseStream implements AutoCloseable
{
    /** The first chunk of every stream with the default {@code retry}. */
    public static final String PREAMBLE_CHUNK = "12\r\nretry: 3000\n: ok\n\n\r\n";
    /** A heartbeat comment chunk. */
    public static final String HEARTBEAT_CHUNK = "3\r\n:\n\n\r\n";
    /** The terminating chunk of a chunked body. */
    public static final String END_CHUNK = "0\r\n\r\n";

    private final RawHttpConnection connection;
    private final String head;
    private final String preamble;

    private SseStream(final RawHttpConnection connection, final String head, final String preamble)
    {
        this.connection = connection;
        this.head = head;
        this.preamble = preamble;
    }

    /**
     * Opens {@code GET target} with the given extra header lines (each without CRLF), reads the head
     * and the first chunk, and fails unless the status is 200.
     */
    public static SseStream open(final int port, final String target, final String... headerLines) throws IOException
    {
        final RawHttpConnection connection = RawHttpConnection.open(port);
        try
        {
            final StringBuilder request = new StringBuilder()
                .append("GET ").append(target).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(port).append("\r\n")
                .append("Accept: text/event-stream\r\n");
            for (final String line : headerLines)
            {
                request.append(line).append("\r\n");
            }
            request.append("\r\n");
            connection.send(request.toString());
            final String head = connection.readHead();
            if (!head.startsWith("HTTP/1.1 200 "))
            {
                throw new AssertionError("expected an event stream, got " + SseText.printable(head));
            }
            final String preamble = new String(connection.readChunk(), StandardCharsets.UTF_8);
            return new SseStream(connection, head, preamble);
        }
        catch (final IOException | RuntimeException | Error ex)
        {
            connection.close();
            throw ex;
        }
    }

    /**
     * @return the response head, status line to blank line, exactly as received.
     */
    public String head()
    {
        return head;
    }

    /**
     * @return the first chunk, exactly as received.
     */
    public String preamble()
    {
        return preamble;
    }

    public RawHttpConnection connection()
    {
        return connection;
    }

    /**
     * @return the exact bytes of the next chunk (size line, payload, CRLF).
     */
    public byte[] nextChunk() throws IOException
    {
        return connection.readChunk();
    }

    /**
     * @return the next chunk as UTF-8 text, framing included.
     */
    public String nextChunkText() throws IOException
    {
        return new String(nextChunk(), StandardCharsets.UTF_8);
    }

    /**
     * @return the next event, skipping heartbeat chunks; fails when a chunk holds anything but one event.
     */
    public SseEvent nextEvent() throws IOException
    {
        while (true)
        {
            final byte[] chunk = nextChunk();
            final String payload = payloadText(chunk);
            if (payload.isEmpty())
            {
                throw new AssertionError("stream ended while an event was expected");
            }
            if (":\n\n".equals(payload))
            {
                continue;
            }
            return SseText.single(payload);
        }
    }

    /**
     * @return the payload of a raw chunk as UTF-8 text.
     */
    public static String payloadText(final byte[] chunk)
    {
        return new String(payload(chunk), StandardCharsets.UTF_8);
    }

    /**
     * @return the payload bytes of a raw chunk, without the size line and trailing CRLF.
     */
    public static byte[] payload(final byte[] chunk)
    {
        int start = 0;
        while ('\n' != chunk[start])
        {
            start++;
        }
        return Arrays.copyOfRange(chunk, start + 1, chunk.length - 2);
    }

    /**
     * @return the exact chunk HTTP/1.1 framing makes of an SSE payload.
     */
    public static byte[] chunkOf(final byte[] payload)
    {
        final byte[] header = (Integer.toHexString(payload.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        final byte[] chunk = Arrays.copyOf(header, header.length + payload.length + 2);
        System.arraycopy(payload, 0, chunk, header.length, payload.length);
        chunk[chunk.length - 2] = '\r';
        chunk[chunk.length - 1] = '\n';
        return chunk;
    }

    /**
     * @return {@link #chunkOf(byte[])} of UTF-8 text, as text.
     */
    public static String chunkOf(final String payload)
    {
        return new String(chunkOf(payload.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException
    {
        connection.close();
    }
}

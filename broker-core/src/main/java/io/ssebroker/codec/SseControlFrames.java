package io.ssebroker.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;

/**
 * Per-stream control frames: the preamble with the {@code retry:} field, heartbeat comments, the
 * in-band {@code reset} notice and the terminating chunk. Each is an HTTP/1.1 chunk; the shared
 * constants are read-only and unreleasable, so writing {@code duplicate()}s of them is free.
 * <p>
 * <b>Threading:</b> thread-safe.
 */
public final class SseControlFrames
{
    /** {@code :} comment chunk written on idle streams so proxies and clients see life. */
    private static final ByteBuf HEARTBEAT = constant("3\r\n:\n\n\r\n");

    /** Last chunk of a chunked body. */
    private static final ByteBuf END_OF_STREAM = constant("0\r\n\r\n");

    private SseControlFrames()
    {
    }

    /**
     * @return a duplicate of the heartbeat chunk; writing it needs no release by the caller.
     */
    public static ByteBuf heartbeat()
    {
        return HEARTBEAT.duplicate();
    }

    /**
     * @return a duplicate of the terminating zero-length chunk.
     */
    public static ByteBuf endOfStream()
    {
        return END_OF_STREAM.duplicate();
    }

    /**
     * The first chunk of every stream: the reconnection delay and a comment, so a client sees the
     * stream is open before the first event.
     */
    public static ByteBuf preamble(final ByteBufAllocator alloc, final long retryMs)
    {
        return chunk(alloc, "retry: " + retryMs + "\n: ok\n\n");
    }

    /**
     * The in-band notice that a resume could not be honoured exactly. Its data is a JSON object:
     * <pre>{"reason":"history-truncated","lastEventId":"41","oldestRetainedId":"57","headId":"90"}</pre>
     * It carries no {@code id:} field, so the client's last event id is only moved by real events.
     */
    public static ByteBuf reset(
        final ByteBufAllocator alloc,
        final String reason,
        final String lastEventId,
        final long oldestRetainedId,
        final long headId)
    {
        final StringBuilder json = new StringBuilder(128)
            .append("event: reset\ndata: {\"reason\":\"").append(reason)
            .append("\",\"lastEventId\":\"");
        appendJsonEscaped(json, lastEventId);
        json.append("\",\"oldestRetainedId\":");
        if (oldestRetainedId < 0)
        {
            json.append("null");
        }
        else
        {
            json.append('"').append(oldestRetainedId).append('"');
        }
        json.append(",\"headId\":\"").append(headId).append("\"}\n\n");
        return chunk(alloc, json.toString());
    }

    /**
     * Wraps SSE text into one HTTP/1.1 chunk. Cold path: allocates.
     */
    public static ByteBuf chunk(final ByteBufAllocator alloc, final String sseText)
    {
        final byte[] payload = sseText.getBytes(StandardCharsets.UTF_8);
        final String header = Integer.toHexString(payload.length) + "\r\n";
        final ByteBuf buf = alloc.buffer(header.length() + payload.length + 2);
        buf.writeCharSequence(header, StandardCharsets.US_ASCII);
        buf.writeBytes(payload);
        buf.writeByte('\r').writeByte('\n');
        return buf;
    }

    private static void appendJsonEscaped(final StringBuilder out, final String value)
    {
        for (int i = 0, n = value.length(); i < n; i++)
        {
            final char c = value.charAt(i);
            if ('"' == c || '\\' == c)
            {
                out.append('\\').append(c);
            }
            else if (c < 0x20 || c > 0x7E)
            {
                out.append(String.format("\\u%04x", (int)c));
            }
            else
            {
                out.append(c);
            }
        }
    }

    private static ByteBuf constant(final String text)
    {
        return Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(text.length()).writeBytes(text.getBytes(StandardCharsets.US_ASCII))).asReadOnly();
    }
}

package io.ssebroker.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;

/**
 * Per-stream control text, as SSE bytes without transport framing: the preamble with the
 * {@code retry:} field, the heartbeat comment and the in-band {@code reset} notice. Each transport
 * frames them its own way ({@link ChunkFraming} for HTTP/1.1, a DATA frame for HTTP/2). Constants
 * are read-only and unreleasable, so writing {@code duplicate()}s of them is free.
 * <p>
 * <b>Threading:</b> thread-safe.
 */
public final class SseControlFrames
{
    /** The {@code :} comment written on idle streams so proxies and clients see life. */
    public static final String HEARTBEAT_TEXT = ":\n\n";

    private static final ByteBuf HEARTBEAT = constant(HEARTBEAT_TEXT);

    private SseControlFrames()
    {
    }

    /**
     * @return a duplicate of the heartbeat comment; writing it needs no release by the caller.
     */
    public static ByteBuf heartbeat()
    {
        return HEARTBEAT.duplicate();
    }

    /**
     * The first text of every stream: the reconnection delay and a comment, so a client sees the
     * stream is open before the first event. Built once per fan-out.
     *
     * @return a read-only, unreleasable buffer over heap memory that needs no release (so dropping
     *         it is no leak); write {@code duplicate()}s of it.
     */
    public static ByteBuf preamble(final long retryMs)
    {
        final byte[] bytes = ("retry: " + retryMs + "\n: ok\n\n").getBytes(StandardCharsets.US_ASCII);
        return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(bytes)).asReadOnly();
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
        final byte[] bytes = json.toString().getBytes(StandardCharsets.UTF_8);
        return alloc.buffer(bytes.length).writeBytes(bytes);
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

    static ByteBuf constant(final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return Unpooled.unreleasableBuffer(Unpooled.directBuffer(bytes.length).writeBytes(bytes)).asReadOnly();
    }
}

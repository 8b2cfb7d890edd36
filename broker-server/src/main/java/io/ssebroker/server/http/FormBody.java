package io.ssebroker.server.http;

import io.netty.buffer.ByteBuf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict {@code application/x-www-form-urlencoded} decoding to bytes: unlike decoders that replace
 * malformed input, a bad percent escape is an error, and values stay bytes so the caller can reject
 * invalid UTF-8 instead of silently substituting U+FFFD.
 * <p>
 * <b>Threading:</b> stateless.
 */
final class FormBody
{
    private FormBody()
    {
    }

    /** Thrown for malformed input; the message is the client-facing reason. */
    static final class MalformedFormException extends Exception
    {
        MalformedFormException(final String message)
        {
            super(message, null, false, false);
        }
    }

    /**
     * @return field name → values (raw bytes), in order of appearance.
     */
    static Map<String, List<byte[]>> decode(final ByteBuf body) throws MalformedFormException
    {
        final Map<String, List<byte[]>> fields = new LinkedHashMap<>();
        final int end = body.writerIndex();
        int start = body.readerIndex();
        while (start <= end)
        {
            int amp = body.indexOf(start, end, (byte)'&');
            if (amp < 0)
            {
                amp = end;
            }
            if (amp > start)
            {
                int eq = body.indexOf(start, amp, (byte)'=');
                final byte[] name;
                final byte[] value;
                if (eq < 0)
                {
                    name = unescape(body, start, amp);
                    value = new byte[0];
                }
                else
                {
                    name = unescape(body, start, eq);
                    value = unescape(body, eq + 1, amp);
                }
                fields.computeIfAbsent(new String(name, StandardCharsets.UTF_8), k -> new ArrayList<>()).add(value);
            }
            start = amp + 1;
        }
        return fields;
    }

    private static byte[] unescape(final ByteBuf body, final int from, final int to) throws MalformedFormException
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
        for (int i = from; i < to; i++)
        {
            final byte b = body.getByte(i);
            if ('+' == b)
            {
                out.write(' ');
            }
            else if ('%' == b)
            {
                if (i + 2 >= to)
                {
                    throw new MalformedFormException("malformed form body: truncated percent escape");
                }
                final int hi = Character.digit(body.getByte(i + 1), 16);
                final int lo = Character.digit(body.getByte(i + 2), 16);
                if (hi < 0 || lo < 0)
                {
                    throw new MalformedFormException("malformed form body: bad percent escape");
                }
                out.write((hi << 4) | lo);
                i += 2;
            }
            else
            {
                out.write(b);
            }
        }
        return out.toByteArray();
    }
}

package io.ssebroker.codec;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * Topic-name rule shared by ingest, {@code POST /publish} and {@code GET /events}: 1 to
 * {@value #MAX_LENGTH} bytes from {@code A-Z a-z 0-9 . _ - : ~ @}.
 * <p>
 * <b>Threading:</b> thread-safe.
 */
public final class TopicNames
{
    public static final int MAX_LENGTH = 128;
    /** Topics the broker publishes itself ({@code @broker.stats}); publishers may subscribe but not publish. */
    public static final String RESERVED_PREFIX = "@broker.";

    private static final byte[] RESERVED = RESERVED_PREFIX.getBytes(StandardCharsets.US_ASCII);

    private static final boolean[] ALLOWED = new boolean[128];

    static
    {
        for (char c = 'a'; c <= 'z'; c++)
        {
            ALLOWED[c] = true;
        }
        for (char c = 'A'; c <= 'Z'; c++)
        {
            ALLOWED[c] = true;
        }
        for (char c = '0'; c <= '9'; c++)
        {
            ALLOWED[c] = true;
        }
        for (final char c : ".-_:~@".toCharArray())
        {
            ALLOWED[c] = true;
        }
    }

    private TopicNames()
    {
    }

    /**
     * @return true when the name starts with {@link #RESERVED_PREFIX}.
     */
    public static boolean isReserved(final CharSequence name)
    {
        return name.length() >= RESERVED_PREFIX.length() && RESERVED_PREFIX.contentEquals(name.subSequence(0, RESERVED_PREFIX.length()));
    }

    /**
     * @return true when the name in {@code buf} starts with {@link #RESERVED_PREFIX}; one byte compare for most names.
     */
    public static boolean isReserved(final ByteBuf buf, final int index, final int length)
    {
        if (length < RESERVED.length || RESERVED[0] != buf.getByte(index))
        {
            return false;
        }
        for (int i = 1; i < RESERVED.length; i++)
        {
            if (RESERVED[i] != buf.getByte(index + i))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @return null when valid, else a one-line reason.
     */
    public static String validate(final CharSequence name)
    {
        if (null == name || 0 == name.length())
        {
            return "topic must not be empty";
        }
        if (name.length() > MAX_LENGTH)
        {
            return "topic must be at most " + MAX_LENGTH + " bytes, was " + name.length();
        }
        for (int i = 0, n = name.length(); i < n; i++)
        {
            final char c = name.charAt(i);
            if (c >= 128 || !ALLOWED[c])
            {
                return "topic may contain only A-Z a-z 0-9 . _ - : ~ @";
            }
        }
        return null;
    }

    /**
     * Byte-level check for ingest frames, without allocating.
     */
    public static boolean isValid(final ByteBuf buf, final int index, final int length)
    {
        if (length < 1 || length > MAX_LENGTH)
        {
            return false;
        }
        for (int i = index, end = index + length; i < end; i++)
        {
            final byte b = buf.getByte(i);
            if (b < 0 || !ALLOWED[b])
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Event names: 1 to 64 printable ASCII characters without spaces, so they fit one
     * {@code event:} line.
     */
    public static boolean isValidEventName(final ByteBuf buf, final int index, final int length)
    {
        if (length < 1 || length > 64)
        {
            return false;
        }
        for (int i = index, end = index + length; i < end; i++)
        {
            final byte b = buf.getByte(i);
            if (b < 0x21 || b > 0x7E)
            {
                return false;
            }
        }
        return true;
    }
}

package io.ssebroker.server.auth;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The topics a token allows, from one array of its {@code sse} claim: each entry an exact topic name, or a
 * prefix ending in {@code *} ({@code ticker.*} allows {@code ticker.AAPL}; {@code *} alone allows every topic).
 * <p>
 * <b>Threading:</b> immutable.
 */
public final class TopicPatterns
{
    /** Allows every topic. */
    public static final TopicPatterns ANY = new TopicPatterns(new byte[0][], new byte[][] {new byte[0]});
    /** Allows none. */
    public static final TopicPatterns NONE = new TopicPatterns(new byte[0][], new byte[0][]);

    private final byte[][] exact;
    private final byte[][] prefixes;

    private TopicPatterns(final byte[][] exact, final byte[][] prefixes)
    {
        this.exact = exact;
        this.prefixes = prefixes;
    }

    /**
     * @param entries exact names and {@code *}-ended prefixes; topic names are ASCII.
     * @return the patterns.
     */
    public static TopicPatterns of(final List<String> entries)
    {
        final List<byte[]> exact = new ArrayList<>();
        final List<byte[]> prefixes = new ArrayList<>();
        for (final String entry : entries)
        {
            if (entry.endsWith("*"))
            {
                prefixes.add(entry.substring(0, entry.length() - 1).getBytes(StandardCharsets.US_ASCII));
            }
            else if (!entry.isEmpty())
            {
                exact.add(entry.getBytes(StandardCharsets.US_ASCII));
            }
        }
        return exact.isEmpty() && prefixes.isEmpty() ?
            NONE : new TopicPatterns(exact.toArray(new byte[0][]), prefixes.toArray(new byte[0][]));
    }

    /**
     * @param topic a valid topic name.
     * @return true when an entry allows it.
     */
    public boolean allows(final String topic)
    {
        final byte[] bytes = topic.getBytes(StandardCharsets.US_ASCII);
        for (final byte[] name : exact)
        {
            if (Arrays.equals(name, bytes))
            {
                return true;
            }
        }
        for (final byte[] prefix : prefixes)
        {
            if (bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Matches a topic name in place, without copying it (the ingest path).
     *
     * @param buffer holds the name.
     * @param index  where it starts.
     * @param length its length in bytes.
     * @return true when an entry allows it.
     */
    public boolean allows(final ByteBuf buffer, final int index, final int length)
    {
        for (final byte[] name : exact)
        {
            if (name.length == length && startsWith(buffer, index, name))
            {
                return true;
            }
        }
        for (final byte[] prefix : prefixes)
        {
            if (length >= prefix.length && startsWith(buffer, index, prefix))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * @return true when every topic is allowed.
     */
    public boolean allowsAll()
    {
        for (final byte[] prefix : prefixes)
        {
            if (0 == prefix.length)
            {
                return true;
            }
        }
        return false;
    }

    private static boolean startsWith(final ByteBuf buffer, final int index, final byte[] bytes)
    {
        for (int i = 0; i < bytes.length; i++)
        {
            if (buffer.getByte(index + i) != bytes[i])
            {
                return false;
            }
        }
        return true;
    }
}

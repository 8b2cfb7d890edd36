package io.ssebroker.server.testing;

import java.nio.charset.StandardCharsets;

import io.ssebroker.server.config.BrokerConfig;

/**
 * What the fuzz targets share: the broker settings they run against, and the small conventions of
 * their input layouts.
 * <p>
 * <b>Threading:</b> stateless.
 */
public final class FuzzInputs
{
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** Inputs longer than this are described by their first bytes only. */
    private static final int DESCRIBED_BYTES = 256;

    private FuzzInputs()
    {
    }

    /**
     * Limits small enough that inputs of a few KiB reach them: data size, in-flight window,
     * topics, history and the deduplication window; every limit is then a path the fuzzer can take.
     */
    public static BrokerConfig smallLimits(final BrokerConfig config)
    {
        return config
            .maxDataBytes(512)
            .maxInFlight(8)
            .maxTopics(256)
            .maxTopicsPerStream(16)
            .historyCount(16)
            .historyBytes(16 * 1024)
            .dedupWindowEvents(32).dedupWindowMs(60_000).dedupMaxPublishers(16)
            // Each input's publishes are answered after the sequencer's batch: without a linger it is taken at once
            // instead of up to 500 µs later, so a run gets through more inputs. The linger changes when, not what.
            .flushLingerUs(0);
    }

    /**
     * @return bytes per read for a piece selector: its low four bits k give 2^(k-1), 0 gives all at once.
     */
    public static int pieceBytes(final byte selector)
    {
        final int k = selector & 0x0F;
        return 0 == k ? 0 : 1 << (k - 1);
    }

    /**
     * @param hex pairs of hex digits; spaces are ignored.
     */
    public static byte[] hex(final String hex)
    {
        final String digits = hex.replace(" ", "");
        final byte[] bytes = new byte[digits.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(digits.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }

    /**
     * @return the length and the first bytes, printable ASCII as is and the rest escaped, for a failure message.
     */
    public static String describe(final byte[] bytes)
    {
        final StringBuilder text = new StringBuilder().append(bytes.length).append(" bytes \"");
        for (int i = 0, n = Math.min(bytes.length, DESCRIBED_BYTES); i < n; i++)
        {
            final int b = bytes[i] & 0xFF;
            if (b >= 0x20 && b < 0x7F && b != '\\' && b != '"')
            {
                text.append((char)b);
            }
            else
            {
                text.append("\\x").append(HEX[b >> 4]).append(HEX[b & 0xF]);
            }
        }
        return text.append(bytes.length > DESCRIBED_BYTES ? "\"..." : "\"").toString();
    }

    /**
     * @return an object whose {@code toString} is {@link #describe}: for messages built only when they are shown
     *         (a fuzzer runs thousands of inputs a second, and describing each took a fifth of its time).
     */
    public static Object described(final byte[] bytes)
    {
        return new Object()
        {
            @Override
            public String toString()
            {
                return describe(bytes);
            }
        };
    }

    /**
     * @return the text as UTF-8 bytes.
     */
    public static byte[] utf8(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}

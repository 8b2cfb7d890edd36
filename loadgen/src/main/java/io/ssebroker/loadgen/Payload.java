package io.ssebroker.loadgen;

/**
 * Text layout of a load generator event's data: the per-topic sequence number and the intended send time,
 * in decimal ASCII, each followed by a space, then {@code x} padding up to the payload size.
 * <pre>
 *   "17 1234567890123 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..."
 *    ^  ^
 *    |  intended send time, System.nanoTime() of the schedule (CLOCK_MONOTONIC on Linux)
 *    per-topic sequence, from 1
 * </pre>
 * Written into and parsed from caller-owned arrays, without allocation.
 * <p>
 * <b>Threading:</b> stateless.
 */
final class Payload
{
    /** Smallest payload that holds two 19-digit numbers and their spaces. */
    static final int MIN_BYTES = 40;
    /** {@link #parseSeq} and {@link #parseIntendedNs} result for data that is not a load generator payload. */
    static final long MALFORMED = -1;

    private Payload()
    {
    }

    /**
     * Fills {@code buffer[0, length)} with a payload.
     *
     * @param buffer     destination.
     * @param length     payload size, at least {@link #MIN_BYTES}.
     * @param seq        per-topic sequence, non-negative.
     * @param intendedNs intended send time, non-negative.
     */
    static void encode(final byte[] buffer, final int length, final long seq, final long intendedNs)
    {
        int offset = writeDecimal(buffer, 0, seq);
        buffer[offset++] = ' ';
        offset = writeDecimal(buffer, offset, intendedNs);
        buffer[offset++] = ' ';
        while (offset < length)
        {
            buffer[offset++] = 'x';
        }
    }

    /**
     * @param data   payload bytes.
     * @param length valid length.
     * @return the sequence, or {@link #MALFORMED}.
     */
    static long parseSeq(final byte[] data, final int length)
    {
        return parseDecimal(data, 0, length);
    }

    /**
     * @param data   payload bytes.
     * @param length valid length.
     * @return the intended send time, or {@link #MALFORMED}.
     */
    static long parseIntendedNs(final byte[] data, final int length)
    {
        int space = 0;
        while (space < length && ' ' != data[space])
        {
            space++;
        }
        return space >= length ? MALFORMED : parseDecimal(data, space + 1, length);
    }

    private static long parseDecimal(final byte[] data, final int start, final int length)
    {
        long value = 0;
        int i = start;
        for (; i < length && i - start < 19; i++)
        {
            final int digit = data[i] - '0';
            if (digit < 0 || digit > 9)
            {
                break;
            }
            value = value * 10 + digit;
        }
        return i == start || i >= length || ' ' != data[i] ? MALFORMED : value;
    }

    private static int writeDecimal(final byte[] buffer, final int offset, final long value)
    {
        int digits = 1;
        for (long v = value / 10; v > 0; v /= 10)
        {
            digits++;
        }
        long v = value;
        for (int i = offset + digits - 1; i >= offset; i--)
        {
            buffer[i] = (byte)('0' + (v % 10));
            v /= 10;
        }
        return offset + digits;
    }
}

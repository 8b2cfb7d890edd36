package io.ssebroker.codec;

import io.netty.buffer.ByteBuf;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeAccess;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Encodes one event into a single HTTP/1.1 chunk carrying the SSE fields, so the same bytes can be
 * written to every HTTP/1.1 subscriber and the payload sliced out for HTTP/2 DATA frames.
 *
 * <pre>
 *   +----------------+---------------------------------------------------+------+
 *   | hex(len) CR LF | id: N LF [event: E LF] data: line LF ... LF        | CR LF|
 *   +----------------+---------------------------------------------------+------+
 *   |<- header ----->|<-------------------- payload (len bytes) -------->|
 * </pre>
 *
 * A payload's CR, LF and CRLF each end a {@code data:} line, which is how the WHATWG parser splits
 * them when it re-joins the lines with LF; a trailing line break yields an empty last line so the
 * re-joined data keeps it.
 * <p>
 * <b>Threading:</b> an instance holds scratch state (a view over the destination), so it is confined to one
 * thread (the sequencer). The static helpers are thread-safe.
 */
public final class SseFrameEncoder
{
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    /** CR LF as one little-endian short store. */
    private static final short CRLF_LE = (short)(('\n' << 8) | '\r');
    private static final byte[] ID_PREFIX = "id: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT_PREFIX = "event: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA_PREFIX = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final byte[] idScratch = new byte[20];
    private final UnsafeBuffer dstView = new UnsafeBuffer(0, 0);

    /**
     * Number of payload bytes (without chunk framing) for an event.
     */
    public static int payloadLength(
        final long id, final int eventLength, final DirectBuffer data, final int dataIndex, final int dataLength)
    {
        final int firstBreak = indexOfLineBreak(data, dataIndex, dataLength);
        return payloadLengthForDigits(
            decimalDigits(id), eventLength, dataFieldsLength(data, dataIndex, dataLength, firstBreak));
    }

    /**
     * Number of payload bytes for an event whose id has {@code idDigits} decimal digits and whose
     * {@code data:} lines take {@code dataFieldsLength} bytes ({@link #dataFieldsLength}).
     */
    public static int payloadLengthForDigits(final int idDigits, final int eventLength, final int dataFieldsLength)
    {
        int length = ID_PREFIX.length + idDigits + 1;
        if (eventLength > 0)
        {
            length += EVENT_PREFIX.length + eventLength + 1;
        }
        return length + dataFieldsLength + 1;
    }

    /**
     * Bytes the data takes as {@code data:} lines: one {@code "data: " line LF} per line, where CR,
     * LF and CRLF each end a line (they are not copied).
     *
     * @param firstBreak index of the data's first CR or LF as found by {@link #indexOfLineBreak}, or
     *                   -1 for none, so one scan serves the caller's other needs too.
     */
    public static int dataFieldsLength(
        final DirectBuffer data, final int dataIndex, final int dataLength, final int firstBreak)
    {
        int lines = 1;
        int terminatorBytes = 0;
        if (firstBreak >= 0)
        {
            final int end = dataIndex + dataLength;
            for (int i = firstBreak; i < end; i++)
            {
                final byte b = data.getByte(i);
                if (LF == b)
                {
                    lines++;
                    terminatorBytes++;
                }
                else if (CR == b)
                {
                    lines++;
                    terminatorBytes++;
                    if (i + 1 < end && LF == data.getByte(i + 1))
                    {
                        terminatorBytes++;
                        i++;
                    }
                }
            }
        }
        return lines * (DATA_PREFIX.length + 1) + (dataLength - terminatorBytes);
    }

    /**
     * Finds the first CR or LF, eight bytes at a time (SWAR). A word is first tested for any byte
     * below {@code 0x0E}, the only range CR (0x0D) and LF (0x0A) live in, with
     * {@code (x - 0x0E..) & ~x & 0x80..} (non-zero exactly when some byte of x is below 0x0E); the
     * rare word that passes, text with a tab or another control byte, is then searched byte by
     * byte. The range is bounds-checked once, then read without per-read checks.
     *
     * @return the index of the first CR or LF, or -1 when the range has none.
     */
    public static int indexOfLineBreak(final DirectBuffer buffer, final int index, final int length)
    {
        buffer.boundsCheck(index, length);
        final byte[] array = buffer.byteArray();
        final long base = buffer.addressOffset();
        final int end = index + length;
        int i = index;
        for (; i + Long.BYTES <= end; i += Long.BYTES)
        {
            final long word = UnsafeAccess.UNSAFE.getLong(array, base + i);
            if (0 != ((word - 0x0E0E0E0E0E0E0E0EL) & ~word & 0x8080808080808080L))
            {
                final int found = indexOfLineBreakSlowPath(array, base, i, i + Long.BYTES);
                if (found >= 0)
                {
                    return found;
                }
            }
        }
        return indexOfLineBreakSlowPath(array, base, i, end);
    }

    private static int indexOfLineBreakSlowPath(final byte[] array, final long base, final int from, final int to)
    {
        for (int i = from; i < to; i++)
        {
            final byte b = UnsafeAccess.UNSAFE.getByte(array, base + i);
            if (LF == b || CR == b)
            {
                return i;
            }
        }
        return -1;
    }

    /**
     * Length of the chunk header ({@code hex CR LF}) for a payload of the given length: where the
     * SSE bytes start inside a frame, which is what a transport without chunked coding (HTTP/1.0,
     * HTTP/2 DATA frames) slices from.
     */
    public static int chunkHeaderLength(final int payloadLength)
    {
        return hexDigits(payloadLength) + 2;
    }

    /**
     * The payload length of a frame of {@code frameLength} bytes, the inverse of {@link #frameLength}
     * (unique, since the frame length grows strictly with the payload length). Cold path: for
     * callers that were handed a whole frame without its layout.
     *
     * @throws IllegalArgumentException when no payload length gives that frame length.
     */
    public static int payloadLengthOfFrame(final int frameLength)
    {
        for (int digits = 1; digits <= 8; digits++)
        {
            final int payloadLength = frameLength - digits - 4;
            if (payloadLength >= 0 && hexDigits(payloadLength) == digits)
            {
                return payloadLength;
            }
        }
        throw new IllegalArgumentException("no chunk has a length of " + frameLength + " bytes");
    }

    /**
     * Total frame length: chunk header, payload and the closing CR LF.
     */
    public static int frameLength(final int payloadLength)
    {
        return chunkHeaderLength(payloadLength) + payloadLength + 2;
    }

    /**
     * Writes the whole chunk into {@code dst} at its writer index and advances it.
     *
     * @param payloadLength as returned by {@link #payloadLength}.
     */
    public void encode(
        final ByteBuf dst,
        final long id,
        final DirectBuffer source,
        final int eventIndex,
        final int eventLength,
        final int dataIndex,
        final int dataLength,
        final int payloadLength)
    {
        final int digits = decimalDigits(id);
        final byte[] idBytes = idScratch;
        long v = id;
        for (int i = digits - 1; i >= 0; i--)
        {
            idBytes[i] = (byte)('0' + (int)(v % 10));
            v /= 10;
        }
        final int frameLength = frameLength(payloadLength);
        dst.ensureWritable(frameLength);
        final int start = dst.writerIndex();
        ByteBufViews.wrap(dstView, dst, start, frameLength);
        encode(dstView, 0, idBytes, digits, source, eventIndex, eventLength, dataIndex, dataLength, payloadLength,
            indexOfLineBreak(source, dataIndex, dataLength));
        dst.writerIndex(start + frameLength);
    }

    /**
     * Writes the whole chunk into {@code dst} at {@code index}, the id given as ASCII digits (the
     * sequencer keeps them and increments them in place, which saves two rounds of divisions per
     * event) and the first line break of the data already known (-1 for none). The caller has made
     * room for {@link #frameLength}{@code (payloadLength)} bytes; every write is one bounds-checked
     * {@code put} into that room, none grows a buffer.
     *
     * @param payloadLength as returned by {@link #payloadLengthForDigits}.
     * @param firstBreak    index of the data's first CR or LF, or -1 for none.
     * @return the index just past the frame.
     */
    public int encode(
        final MutableDirectBuffer dst,
        final int index,
        final byte[] idDigits,
        final int idDigitCount,
        final DirectBuffer source,
        final int eventIndex,
        final int eventLength,
        final int dataIndex,
        final int dataLength,
        final int payloadLength,
        final int firstBreak)
    {
        int at = writeHex(dst, index, payloadLength);
        dst.putShort(at, CRLF_LE, ByteOrder.LITTLE_ENDIAN);
        at += 2;
        final int payloadStart = at;

        dst.putBytes(at, ID_PREFIX);
        at += ID_PREFIX.length;
        dst.putBytes(at, idDigits, 0, idDigitCount);
        at += idDigitCount;
        dst.putByte(at++, LF);
        if (eventLength > 0)
        {
            dst.putBytes(at, EVENT_PREFIX);
            at += EVENT_PREFIX.length;
            dst.putBytes(at, source, eventIndex, eventLength);
            at += eventLength;
            dst.putByte(at++, LF);
        }

        final int end = dataIndex + dataLength;
        if (firstBreak < 0)
        {
            at = writeDataLine(dst, at, source, dataIndex, dataLength);
        }
        else
        {
            int lineStart = dataIndex;
            for (int i = firstBreak; i < end; i++)
            {
                final byte b = source.getByte(i);
                if (LF == b || CR == b)
                {
                    at = writeDataLine(dst, at, source, lineStart, i - lineStart);
                    if (CR == b && i + 1 < end && LF == source.getByte(i + 1))
                    {
                        i++;
                    }
                    lineStart = i + 1;
                }
            }
            at = writeDataLine(dst, at, source, lineStart, end - lineStart);
        }
        dst.putByte(at++, LF);

        if (at - payloadStart != payloadLength)
        {
            throw new IllegalStateException(
                "encoded payload length " + (at - payloadStart) + " != computed " + payloadLength +
                " (frame starts at " + index + ")");
        }
        dst.putShort(at, CRLF_LE, ByteOrder.LITTLE_ENDIAN);
        return at + 2;
    }

    /**
     * Increments a decimal number held as ASCII digits, growing it by one digit on overflow.
     *
     * @return the new digit count.
     */
    public static int incrementDigits(final byte[] digits, final int count)
    {
        for (int i = count - 1; i >= 0; i--)
        {
            if ('9' == digits[i])
            {
                digits[i] = '0';
            }
            else
            {
                digits[i]++;
                return count;
            }
        }
        System.arraycopy(digits, 0, digits, 1, count);
        digits[0] = '1';
        return count + 1;
    }

    private static int writeDataLine(
        final MutableDirectBuffer dst, final int index, final DirectBuffer source, final int dataIndex, final int length)
    {
        int at = index;
        dst.putBytes(at, DATA_PREFIX);
        at += DATA_PREFIX.length;
        dst.putBytes(at, source, dataIndex, length);
        at += length;
        dst.putByte(at, LF);
        return at + 1;
    }

    /**
     * Count of decimal digits of a non-negative long.
     */
    public static int decimalDigits(final long value)
    {
        long v = value;
        int digits = 1;
        while (v >= 10)
        {
            v /= 10;
            digits++;
        }
        return digits;
    }

    /**
     * Writes a non-negative long in decimal ASCII without allocating.
     */
    public static void writeDecimal(final ByteBuf dst, final long value)
    {
        final int digits = decimalDigits(value);
        final int start = dst.writerIndex();
        dst.ensureWritable(digits);
        long v = value;
        for (int i = start + digits - 1; i >= start; i--)
        {
            dst.setByte(i, '0' + (int)(v % 10));
            v /= 10;
        }
        dst.writerIndex(start + digits);
    }

    private static int hexDigits(final int value)
    {
        return 0 == value ? 1 : (35 - Integer.numberOfLeadingZeros(value)) / 4;
    }

    private static int writeHex(final MutableDirectBuffer dst, final int index, final int value)
    {
        int at = index;
        for (int shift = (hexDigits(value) - 1) * 4; shift >= 0; shift -= 4)
        {
            dst.putByte(at++, HEX[(value >>> shift) & 0xF]);
        }
        return at;
    }
}

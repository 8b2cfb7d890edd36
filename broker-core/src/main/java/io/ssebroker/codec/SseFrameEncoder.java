package io.ssebroker.codec;

import io.netty.buffer.ByteBuf;
import org.agrona.DirectBuffer;

import java.nio.ByteBuffer;
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
 * <b>Threading:</b> an instance holds a scratch {@link ByteBuffer} view, so it is confined to one
 * thread (the sequencer). The static helpers are thread-safe.
 */
public final class SseFrameEncoder
{
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final int CRLF = ('\r' << 8) | '\n';
    private static final byte[] ID_PREFIX = "id: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT_PREFIX = "event: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA_PREFIX = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    /** End of a single data line, of the event, and of the chunk. */
    private static final byte[] SINGLE_LINE_TAIL = {'\n', '\n', '\r', '\n'};
    private static final int MAX_FAST_EVENT_LENGTH = 64;

    /** Chunk header, id, event and data prefix: 8 + 2 + 4 + 20 + 1 + 7 + 64 + 1 + 6 bytes at most. */
    private final byte[] scratch = new byte[128];
    private final byte[] idScratch = new byte[20];

    private final ByteBuffer sourceView;

    /**
     * @param source the direct buffer event fields are read from (the ingest ring's memory).
     */
    public SseFrameEncoder(final DirectBuffer source)
    {
        final ByteBuffer backing = source.byteBuffer();
        if (null == backing)
        {
            throw new IllegalArgumentException("source must be backed by a ByteBuffer");
        }
        this.sourceView = backing.duplicate();
    }

    /**
     * Number of payload bytes (without chunk framing) for an event.
     */
    public static int payloadLength(
        final long id, final int eventLength, final DirectBuffer data, final int dataIndex, final int dataLength)
    {
        return payloadLengthForDigits(
            decimalDigits(id), eventLength, data, dataIndex, dataLength, indexOfLineBreak(data, dataIndex, dataLength));
    }

    /**
     * Number of payload bytes for an event whose id has {@code idDigits} decimal digits, with the
     * first line break of the data already found by {@link #indexOfLineBreak} (-1 for none), so one
     * scan serves both the length and the encoding.
     */
    public static int payloadLengthForDigits(
        final int idDigits,
        final int eventLength,
        final DirectBuffer data,
        final int dataIndex,
        final int dataLength,
        final int firstBreak)
    {
        int length = ID_PREFIX.length + idDigits + 1;
        if (eventLength > 0)
        {
            length += EVENT_PREFIX.length + eventLength + 1;
        }
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
        length += lines * (DATA_PREFIX.length + 1) + (dataLength - terminatorBytes);
        return length + 1;
    }

    /**
     * Finds the first CR or LF, eight bytes at a time (SWAR: a byte equal to the pattern becomes zero
     * after XOR, and {@code (x - 0x01..) & ~x & 0x80..} is non-zero exactly when some byte of x is zero).
     *
     * @return the index of the first CR or LF, or -1 when the range has none.
     */
    public static int indexOfLineBreak(final DirectBuffer buffer, final int index, final int length)
    {
        final int end = index + length;
        int i = index;
        while (i + Long.BYTES <= end)
        {
            final long word = buffer.getLong(i);
            final long lf = word ^ 0x0A0A0A0A0A0A0A0AL;
            final long cr = word ^ 0x0D0D0D0D0D0D0D0DL;
            final long found = ((lf - 0x0101010101010101L) & ~lf | (cr - 0x0101010101010101L) & ~cr) & 0x8080808080808080L;
            if (0 != found)
            {
                break;
            }
            i += Long.BYTES;
        }
        for (; i < end; i++)
        {
            final byte b = buffer.getByte(i);
            if (LF == b || CR == b)
            {
                return i;
            }
        }
        return -1;
    }

    /**
     * Length of the chunk header ({@code hex CR LF}) for a payload of the given length.
     */
    public static int chunkHeaderLength(final int payloadLength)
    {
        return hexDigits(payloadLength) + 2;
    }

    /**
     * Total frame length: chunk header, payload and the closing CR LF.
     */
    public static int frameLength(final int payloadLength)
    {
        return chunkHeaderLength(payloadLength) + payloadLength + 2;
    }

    /**
     * Writes the whole chunk into {@code dst} at its writer index.
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
        encode(dst, idBytes, digits, source, eventIndex, eventLength, dataIndex, dataLength, payloadLength,
            indexOfLineBreak(source, dataIndex, dataLength));
    }

    /**
     * Writes the whole chunk into {@code dst} at its writer index, the id given as ASCII digits (the
     * sequencer keeps them and increments them in place, which saves two rounds of divisions per
     * event) and the first line break of the data already known (-1 for none).
     *
     * @param payloadLength as returned by {@link #payloadLengthForDigits}.
     */
    public void encode(
        final ByteBuf dst,
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
        if (firstBreak < 0 && eventLength <= MAX_FAST_EVENT_LENGTH)
        {
            encodeSingleLine(dst, idDigits, idDigitCount, source, eventIndex, eventLength, dataIndex, dataLength,
                payloadLength);
            return;
        }
        final int start = dst.writerIndex();
        writeHex(dst, payloadLength);
        dst.writeShort(CRLF);
        final int payloadStart = dst.writerIndex();

        dst.writeBytes(ID_PREFIX);
        dst.writeBytes(idDigits, 0, idDigitCount);
        dst.writeByte(LF);
        if (eventLength > 0)
        {
            dst.writeBytes(EVENT_PREFIX);
            copy(dst, eventIndex, eventLength);
            dst.writeByte(LF);
        }

        final int end = dataIndex + dataLength;
        if (firstBreak < 0)
        {
            writeDataLine(dst, dataIndex, dataLength);
        }
        else
        {
            int lineStart = dataIndex;
            for (int i = firstBreak; i < end; i++)
            {
                final byte b = source.getByte(i);
                if (LF == b || CR == b)
                {
                    writeDataLine(dst, lineStart, i - lineStart);
                    if (CR == b && i + 1 < end && LF == source.getByte(i + 1))
                    {
                        i++;
                    }
                    lineStart = i + 1;
                }
            }
            writeDataLine(dst, lineStart, end - lineStart);
        }
        dst.writeByte(LF);

        if (dst.writerIndex() - payloadStart != payloadLength)
        {
            throw new IllegalStateException(
                "encoded payload length " + (dst.writerIndex() - payloadStart) + " != computed " + payloadLength +
                " (frame starts at " + start + ")");
        }
        dst.writeShort(CRLF);
    }

    /**
     * The common case — data without line breaks — as three bulk writes: everything before the data
     * assembled in a scratch array, the data, and the fixed tail. Saves the per-call capacity checks
     * of a dozen small writes.
     */
    private void encodeSingleLine(
        final ByteBuf dst,
        final byte[] idDigits,
        final int idDigitCount,
        final DirectBuffer source,
        final int eventIndex,
        final int eventLength,
        final int dataIndex,
        final int dataLength,
        final int payloadLength)
    {
        final byte[] head = scratch;
        int at = 0;
        for (int shift = (hexDigits(payloadLength) - 1) * 4; shift >= 0; shift -= 4)
        {
            head[at++] = HEX[(payloadLength >>> shift) & 0xF];
        }
        head[at++] = CR;
        head[at++] = LF;
        System.arraycopy(ID_PREFIX, 0, head, at, ID_PREFIX.length);
        at += ID_PREFIX.length;
        System.arraycopy(idDigits, 0, head, at, idDigitCount);
        at += idDigitCount;
        head[at++] = LF;
        if (eventLength > 0)
        {
            System.arraycopy(EVENT_PREFIX, 0, head, at, EVENT_PREFIX.length);
            at += EVENT_PREFIX.length;
            source.getBytes(eventIndex, head, at, eventLength);
            at += eventLength;
            head[at++] = LF;
        }
        System.arraycopy(DATA_PREFIX, 0, head, at, DATA_PREFIX.length);
        at += DATA_PREFIX.length;
        dst.writeBytes(head, 0, at);
        copy(dst, dataIndex, dataLength);
        dst.writeBytes(SINGLE_LINE_TAIL);
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

    private void writeDataLine(final ByteBuf dst, final int index, final int length)
    {
        dst.writeBytes(DATA_PREFIX);
        copy(dst, index, length);
        dst.writeByte(LF);
    }

    private void copy(final ByteBuf dst, final int index, final int length)
    {
        if (length > 0)
        {
            final ByteBuffer view = sourceView;
            view.limit(index + length).position(index);
            dst.writeBytes(view);
        }
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

    private static void writeHex(final ByteBuf dst, final int value)
    {
        for (int shift = (hexDigits(value) - 1) * 4; shift >= 0; shift -= 4)
        {
            dst.writeByte(HEX[(value >>> shift) & 0xF]);
        }
    }
}

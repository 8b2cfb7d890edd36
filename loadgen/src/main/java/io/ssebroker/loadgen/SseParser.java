package io.ssebroker.loadgen;

import java.nio.charset.StandardCharsets;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;

/**
 * Incremental parser of a {@code text/event-stream} body as the WHATWG HTML standard defines it
 * (section "Interpreting an event stream"), working on bytes so that no {@link String} is built per event.
 * <ul>
 *   <li>Lines end with CRLF, LF or CR; a CR at the end of one buffer and an LF at the start of the next are
 *       one line end.</li>
 *   <li>A leading UTF-8 byte order mark is skipped.</li>
 *   <li>{@code :} starts a comment. {@code field:value} loses one space after the colon; a line without a colon
 *       is a field with an empty value.</li>
 *   <li>{@code data} appends the value and a LF to the data buffer; {@code event} sets the event type;
 *       {@code id} sets the last event id <em>buffer</em> unless the value contains NUL; {@code retry} with only
 *       digits sets the reconnection time. Other fields are ignored.</li>
 *   <li>A blank line dispatches: the last event id becomes the buffer's value, as the standard's "last event ID
 *       string" does; then with an empty data buffer nothing is dispatched, otherwise the final LF is removed and
 *       the {@link EventHandler} is called. Data and event type are then cleared; the last event id persists.</li>
 * </ul>
 * Lines longer than the limit given at construction are discarded and counted, never buffered without bound.
 * <p>
 * <b>Resume:</b> {@link #lastEventId()} moves only when an event is dispatched, so a connection cut between an
 * {@code id:} line and the blank line that ends its event resumes from the event before, which the client did
 * receive, not from one it never saw.
 * <p>
 * <b>Threading:</b> confined to the event loop of the stream it parses.
 */
final class SseParser
{
    /**
     * Receives dispatched events; the parser's buffers are valid only during the call.
     */
    interface EventHandler
    {
        /**
         * @param parser the parser, for {@link #data()}, {@link #eventType()} and {@link #lastEventId()}.
         * @param nowNs  receive time of the bytes that completed the event.
         */
        void onEvent(SseParser parser, long nowNs);
    }

    private static final int INITIAL_BYTES = 256;
    private static final byte CR = '\r';
    private static final byte LF = '\n';

    private final EventHandler handler;
    private final int maxLineBytes;

    private byte[] line = new byte[INITIAL_BYTES];
    private int lineLength;
    private boolean lineOverlong;
    private boolean skipLf;
    private boolean bomChecked;

    private byte[] data = new byte[INITIAL_BYTES];
    private int dataLength;
    private boolean hasData;
    private final byte[] eventType = new byte[INITIAL_BYTES];
    private int eventTypeLength;
    private final byte[] idBuffer = new byte[INITIAL_BYTES];
    private int idBufferLength;
    /** Whether {@link #idBuffer} was set since the last dispatch. */
    private boolean idBufferSet;
    private final byte[] lastEventId = new byte[INITIAL_BYTES];
    private int lastEventIdLength;
    private long retryMs = -1;
    private long overlongLines;

    /**
     * @param handler      receives dispatched events.
     * @param maxLineBytes longest line kept; longer lines are dropped and counted.
     */
    SseParser(final EventHandler handler, final int maxLineBytes)
    {
        this.handler = handler;
        this.maxLineBytes = maxLineBytes;
    }

    /**
     * Parses bytes of the stream body; neither the buffer's indices nor its reference count change.
     *
     * @param buffer bytes of the body.
     * @param index  absolute index of the first byte.
     * @param length number of bytes.
     * @param nowNs  receive time passed to the handler.
     */
    void feed(final ByteBuf buffer, final int index, final int length, final long nowNs)
    {
        int i = index;
        final int end = index + length;
        while (i < end)
        {
            if (skipLf)
            {
                skipLf = false;
                if (LF == buffer.getByte(i))
                {
                    i++;
                    continue;
                }
            }
            final int eol = buffer.forEachByte(i, end - i, ByteProcessor.FIND_CRLF);
            if (eol < 0)
            {
                append(buffer, i, end - i);
                return;
            }
            append(buffer, i, eol - i);
            skipLf = CR == buffer.getByte(eol);
            endOfLine(nowNs);
            i = eol + 1;
        }
    }

    /**
     * Forgets a partial line, data, event type and an id not yet dispatched, as at the start of a new connection.
     * The last event id is kept, as a reconnecting client keeps it.
     */
    void reset()
    {
        idBufferSet = false;
        lineLength = 0;
        lineOverlong = false;
        skipLf = false;
        bomChecked = false;
        dataLength = 0;
        hasData = false;
        eventTypeLength = 0;
    }

    /**
     * @return data buffer of the event being dispatched; valid bytes are {@code [0, dataLength())}.
     */
    byte[] data()
    {
        return data;
    }

    /**
     * @return length of the dispatched data, without the final LF.
     */
    int dataLength()
    {
        return dataLength;
    }

    /**
     * @return event type bytes; valid bytes are {@code [0, eventTypeLength())}.
     */
    byte[] eventType()
    {
        return eventType;
    }

    /**
     * @return length of the event type, 0 for the default {@code message}.
     */
    int eventTypeLength()
    {
        return eventTypeLength;
    }

    /**
     * @return bytes of the last event id as of the latest dispatch; valid bytes are {@code [0, lastEventIdLength())}.
     */
    byte[] lastEventId()
    {
        return lastEventId;
    }

    /**
     * @return length of the last event id, 0 when none was received.
     */
    int lastEventIdLength()
    {
        return lastEventIdLength;
    }

    /**
     * @return the last event id as text, for a reconnect's {@code Last-Event-ID} header (allocates).
     */
    String lastEventIdAsString()
    {
        return new String(lastEventId, 0, lastEventIdLength, StandardCharsets.UTF_8);
    }

    /**
     * @return reconnection time from the last valid {@code retry} field, or -1.
     */
    long retryMs()
    {
        return retryMs;
    }

    /**
     * @return lines dropped for exceeding the line limit.
     */
    long overlongLines()
    {
        return overlongLines;
    }

    private void append(final ByteBuf buffer, final int index, final int length)
    {
        if (0 == length || lineOverlong)
        {
            return;
        }
        final int newLength = lineLength + length;
        if (newLength > maxLineBytes)
        {
            lineOverlong = true;
            return;
        }
        if (newLength > line.length)
        {
            line = grow(line, lineLength, newLength);
        }
        buffer.getBytes(index, line, lineLength, length);
        lineLength = newLength;
    }

    private void endOfLine(final long nowNs)
    {
        if (lineOverlong)
        {
            overlongLines++;
            lineOverlong = false;
            lineLength = 0;
            return;
        }

        int start = 0;
        if (!bomChecked)
        {
            bomChecked = true;
            if (lineLength >= 3 && (byte)0xEF == line[0] && (byte)0xBB == line[1] && (byte)0xBF == line[2])
            {
                start = 3;
            }
        }

        final int length = lineLength;
        lineLength = 0;
        if (start == length)
        {
            dispatch(nowNs);
        }
        else if (':' != line[start])
        {
            field(start, length);
        }
    }

    private void field(final int start, final int end)
    {
        final byte[] line = this.line;
        int colon = start;
        while (colon < end && ':' != line[colon])
        {
            colon++;
        }
        int valueStart = colon < end ? colon + 1 : end;
        if (valueStart < end && ' ' == line[valueStart])
        {
            valueStart++;
        }
        final int nameLength = colon - start;
        final int valueLength = end - valueStart;

        if (4 == nameLength && 'd' == line[start] && 'a' == line[start + 1] && 't' == line[start + 2] &&
            'a' == line[start + 3])
        {
            final int newLength = (hasData ? dataLength + 1 : 0) + valueLength;
            if (newLength > maxLineBytes)
            {
                overlongLines++;
                return;
            }
            if (newLength + 1 > data.length)
            {
                data = grow(data, dataLength, newLength + 1);
            }
            if (hasData)
            {
                data[dataLength++] = LF;
            }
            System.arraycopy(line, valueStart, data, dataLength, valueLength);
            dataLength += valueLength;
            hasData = true;
        }
        else if (5 == nameLength && 'e' == line[start] && 'v' == line[start + 1] && 'e' == line[start + 2] &&
            'n' == line[start + 3] && 't' == line[start + 4])
        {
            eventTypeLength = copyBounded(line, valueStart, valueLength, eventType);
        }
        else if (2 == nameLength && 'i' == line[start] && 'd' == line[start + 1])
        {
            for (int i = valueStart; i < end; i++)
            {
                if (0 == line[i])
                {
                    return;
                }
            }
            idBufferLength = copyBounded(line, valueStart, valueLength, idBuffer);
            idBufferSet = true;
        }
        else if (5 == nameLength && 'r' == line[start] && 'e' == line[start + 1] && 't' == line[start + 2] &&
            'r' == line[start + 3] && 'y' == line[start + 4])
        {
            retry(line, valueStart, end);
        }
    }

    private void retry(final byte[] line, final int start, final int end)
    {
        if (start == end || end - start > 18)
        {
            return;
        }
        long value = 0;
        for (int i = start; i < end; i++)
        {
            final int digit = line[i] - '0';
            if (digit < 0 || digit > 9)
            {
                return;
            }
            value = value * 10 + digit;
        }
        retryMs = value;
    }

    private void dispatch(final long nowNs)
    {
        if (idBufferSet)
        {
            System.arraycopy(idBuffer, 0, lastEventId, 0, idBufferLength);
            lastEventIdLength = idBufferLength;
            idBufferSet = false;
        }
        if (hasData)
        {
            // The data buffer holds the lines joined by LF, without the final LF the standard strips.
            handler.onEvent(this, nowNs);
        }
        dataLength = 0;
        hasData = false;
        eventTypeLength = 0;
    }

    private static int copyBounded(final byte[] src, final int offset, final int length, final byte[] dst)
    {
        // Event types and ids longer than the fixed buffer are truncated; the load generator only compares them.
        final int copied = Math.min(length, dst.length);
        System.arraycopy(src, offset, dst, 0, copied);
        return copied;
    }

    private static byte[] grow(final byte[] array, final int usedLength, final int minLength)
    {
        final byte[] grown = new byte[Math.max(minLength, array.length << 1)];
        System.arraycopy(array, 0, grown, 0, usedLength);
        return grown;
    }
}

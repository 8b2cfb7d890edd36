package io.ssebroker.loadgen;

import java.nio.charset.StandardCharsets;
import java.util.function.LongSupplier;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ByteProcessor;

/**
 * Reads one HTTP/1.1 response to a subscription request and hands its body to an {@link SseParser}, decoding
 * {@code Transfer-Encoding: chunked} itself so that body bytes go to the parser as slices of the received
 * buffer, without an {@code HttpContent} object per chunk.
 * <pre>
 *   STATUS_LINE -> HEADERS -+-> CHUNK_SIZE -> CHUNK_DATA -> CHUNK_END -+-> (next CHUNK_SIZE)
 *                           |        ^                                 |
 *                           |        +---------------------------------+
 *                           |   size 0: TRAILERS -> DONE
 *                           +-> IDENTITY (Content-Length, or until the connection closes)
 * </pre>
 * <b>Errors:</b> a status other than 200, a malformed status line, header or chunk size, or a header line over
 * 8 KiB ends the response with {@link ResponseListener#onResponseFailed}; the listener closes the channel.
 * <p>
 * <b>Reference counting:</b> each received buffer is released after it is parsed; nothing is retained.
 * <p>
 * <b>Threading:</b> confined to the channel's event loop.
 */
final class Http1StreamDecoder extends ChannelInboundHandlerAdapter
{
    /**
     * What the decoder reports about the response, besides the body it gives the parser.
     */
    interface ResponseListener
    {
        /**
         * The response is 200 and its body follows.
         *
         * @param nowNs receive time of the header block.
         */
        void onResponseStarted(long nowNs);

        /**
         * The response was refused or malformed; no body follows.
         *
         * @param status HTTP status, or 0 when the response could not be parsed.
         * @param reason what went wrong.
         */
        void onResponseFailed(int status, String reason);

        /**
         * The body ended (last chunk, or all of Content-Length) while the connection stays open.
         */
        void onResponseEnded();
    }

    private static final int MAX_HEADER_LINE_BYTES = 8192;

    private static final int STATUS_LINE = 0;
    private static final int HEADERS = 1;
    private static final int CHUNK_SIZE = 2;
    private static final int CHUNK_DATA = 3;
    private static final int CHUNK_END = 4;
    private static final int TRAILERS = 5;
    private static final int IDENTITY = 6;
    private static final int DONE = 7;

    private final SseParser parser;
    private final ResponseListener listener;
    private final LongSupplier clock;
    private final byte[] line = new byte[MAX_HEADER_LINE_BYTES];
    private int lineLength;

    private int state = STATUS_LINE;
    private int status;
    private boolean chunked;
    private long contentLength = -1;
    private long remainingBytes;

    /**
     * @param parser   receives the body.
     * @param listener receives the response's start and end.
     * @param clock    nanosecond clock read once per received buffer.
     */
    Http1StreamDecoder(final SseParser parser, final ResponseListener listener, final LongSupplier clock)
    {
        this.parser = parser;
        this.listener = listener;
        this.clock = clock;
    }

    /**
     * {@inheritDoc}
     */
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        if (!(msg instanceof ByteBuf))
        {
            ctx.fireChannelRead(msg);
            return;
        }
        final ByteBuf buffer = (ByteBuf)msg;
        try
        {
            decode(buffer, clock.getAsLong());
        }
        finally
        {
            buffer.release();
        }
    }

    /**
     * @return HTTP status of the response, 0 before the status line.
     */
    int status()
    {
        return status;
    }

    private void decode(final ByteBuf buffer, final long nowNs)
    {
        int index = buffer.readerIndex();
        final int end = buffer.writerIndex();
        while (index < end)
        {
            switch (state)
            {
                case CHUNK_DATA:
                case IDENTITY:
                {
                    final int length = (int)Math.min(remainingBytes, end - index);
                    parser.feed(buffer, index, length, nowNs);
                    index += length;
                    remainingBytes -= length;
                    if (0 == remainingBytes)
                    {
                        if (CHUNK_DATA == state)
                        {
                            state = CHUNK_END;
                        }
                        else
                        {
                            state = DONE;
                            listener.onResponseEnded();
                        }
                    }
                    break;
                }

                case DONE:
                    return;

                default:
                {
                    final int eol = buffer.forEachByte(index, end - index, ByteProcessor.FIND_LF);
                    final int stop = eol < 0 ? end : eol;
                    if (!appendLine(buffer, index, stop - index))
                    {
                        fail(0, "header or chunk line longer than " + MAX_HEADER_LINE_BYTES + " bytes");
                        return;
                    }
                    if (eol < 0)
                    {
                        return;
                    }
                    index = eol + 1;
                    if (lineLength > 0 && '\r' == line[lineLength - 1])
                    {
                        lineLength--;
                    }
                    final int length = lineLength;
                    lineLength = 0;
                    if (!onLine(length, nowNs))
                    {
                        return;
                    }
                }
            }
        }
    }

    private boolean appendLine(final ByteBuf buffer, final int index, final int length)
    {
        if (lineLength + length > line.length)
        {
            return false;
        }
        buffer.getBytes(index, line, lineLength, length);
        lineLength += length;
        return true;
    }

    private boolean onLine(final int length, final long nowNs)
    {
        switch (state)
        {
            case STATUS_LINE:
                return onStatusLine(length);

            case HEADERS:
                return 0 == length ? onHeadersEnd(nowNs) : onHeader(length);

            case CHUNK_SIZE:
                return onChunkSize(length);

            case CHUNK_END:
                if (0 != length)
                {
                    fail(status, "chunk data not followed by CRLF");
                    return false;
                }
                state = CHUNK_SIZE;
                return true;

            case TRAILERS:
                if (0 == length)
                {
                    state = DONE;
                    listener.onResponseEnded();
                    return false;
                }
                return true;

            default:
                return false;
        }
    }

    private boolean onStatusLine(final int length)
    {
        // "HTTP/1.1 200 OK": the code is the three digits after the first space.
        final String text = new String(line, 0, length, StandardCharsets.ISO_8859_1);
        final int space = text.indexOf(' ');
        if (!text.startsWith("HTTP/1.") || space < 0 || text.length() < space + 4)
        {
            fail(0, "malformed status line: " + text);
            return false;
        }
        try
        {
            status = Integer.parseInt(text.substring(space + 1, space + 4));
        }
        catch (final NumberFormatException ex)
        {
            fail(0, "malformed status line: " + text);
            return false;
        }
        state = HEADERS;
        return true;
    }

    private boolean onHeader(final int length)
    {
        final String text = new String(line, 0, length, StandardCharsets.ISO_8859_1);
        final int colon = text.indexOf(':');
        if (colon <= 0)
        {
            fail(status, "malformed header line: " + text);
            return false;
        }
        final String name = text.substring(0, colon).trim();
        final String value = text.substring(colon + 1).trim();
        if ("transfer-encoding".equalsIgnoreCase(name))
        {
            chunked = value.toLowerCase().contains("chunked");
        }
        else if ("content-length".equalsIgnoreCase(name))
        {
            try
            {
                contentLength = Long.parseLong(value);
            }
            catch (final NumberFormatException ex)
            {
                fail(status, "malformed Content-Length: " + value);
                return false;
            }
        }
        return true;
    }

    private boolean onHeadersEnd(final long nowNs)
    {
        if (200 != status)
        {
            fail(status, "status " + status);
            return false;
        }
        listener.onResponseStarted(nowNs);
        if (chunked)
        {
            state = CHUNK_SIZE;
        }
        else if (contentLength >= 0)
        {
            state = 0 == contentLength ? DONE : IDENTITY;
            remainingBytes = contentLength;
            if (DONE == state)
            {
                listener.onResponseEnded();
                return false;
            }
        }
        else
        {
            state = IDENTITY;
            remainingBytes = Long.MAX_VALUE;
        }
        return true;
    }

    private boolean onChunkSize(final int length)
    {
        long size = 0;
        int digits = 0;
        for (int i = 0; i < length; i++)
        {
            final byte b = line[i];
            final int digit = Character.digit(b, 16);
            if (digit < 0)
            {
                if (';' == b || ' ' == b || '\t' == b)
                {
                    break;
                }
                fail(status, "malformed chunk size");
                return false;
            }
            size = (size << 4) | digit;
            if (++digits > 15)
            {
                fail(status, "chunk size too large");
                return false;
            }
        }
        if (0 == digits)
        {
            fail(status, "empty chunk size line");
            return false;
        }
        if (0 == size)
        {
            state = TRAILERS;
        }
        else
        {
            state = CHUNK_DATA;
            remainingBytes = size;
        }
        return true;
    }

    private void fail(final int status, final String reason)
    {
        state = DONE;
        listener.onResponseFailed(status, reason);
    }
}

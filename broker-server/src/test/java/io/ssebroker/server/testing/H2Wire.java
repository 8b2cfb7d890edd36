package io.ssebroker.server.testing;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * HTTP/2 frames written and read by hand over a plain {@link Socket}, from RFC 9113 and RFC 7541
 * alone, so a test can send what no HTTP/2 library would (floods, cut header blocks) and see every
 * frame the broker answers with, GOAWAY and the close included.
 * <p>
 * Header blocks are HPACK literals without indexing and without Huffman coding
 * ({@link #requestBlock}), which any decoder must accept and which leave no state behind, so the same
 * bytes can be sent on every stream.
 * <p>
 * <b>Threading:</b> one test thread writes; a reader thread of its own parses the broker's frames
 * into a queue (and an end marker at end of stream) that the test thread takes from with a deadline.
 */
public final class H2Wire implements AutoCloseable
{
    public static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    public static final int DATA = 0x0;
    public static final int HEADERS = 0x1;
    public static final int RST_STREAM = 0x3;
    public static final int SETTINGS = 0x4;
    public static final int GOAWAY = 0x7;
    public static final int WINDOW_UPDATE = 0x8;
    public static final int CONTINUATION = 0x9;
    /** Type of the marker the reader queues when the connection ends. */
    public static final int END_OF_CONNECTION = -1;

    public static final int END_STREAM = 0x1;
    public static final int ACK = 0x1;
    public static final int END_HEADERS = 0x4;

    public static final int CANCEL = 0x8;

    private final Socket socket;
    private final OutputStream out;
    private final LinkedBlockingQueue<Frame> inbound = new LinkedBlockingQueue<>();
    private final List<Frame> taken = new ArrayList<>();
    private final Thread reader;

    private H2Wire(final Socket socket) throws IOException
    {
        this.socket = socket;
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        final DataInputStream in = new DataInputStream(socket.getInputStream());
        this.reader = new Thread(() -> read(in), "h2wire-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Connects to a loopback port; nothing is sent yet.
     */
    public static H2Wire connect(final int port) throws IOException
    {
        return new H2Wire(Sockets.connectLoopback(port));
    }

    private void read(final DataInputStream in)
    {
        String end = "end of stream";
        try
        {
            while (true)
            {
                final int length = in.readUnsignedByte() << 16 | in.readUnsignedShort();
                final int type = in.readUnsignedByte();
                final int flags = in.readUnsignedByte();
                final int streamId = in.readInt() & 0x7FFF_FFFF;
                if (length > 1 << 20)
                {
                    end = "implausible frame length " + length;
                    break;
                }
                final byte[] payload = new byte[length];
                in.readFully(payload);
                inbound.add(new Frame(type, flags, streamId, payload));
            }
        }
        catch (final EOFException ex)
        {
            end = "end of stream";
        }
        catch (final IOException ex)
        {
            end = ex.toString();
        }
        inbound.add(new Frame(END_OF_CONNECTION, 0, 0, end.getBytes(StandardCharsets.UTF_8)));
    }

    // ------------------------------------------------------------------------------------ writing

    /**
     * Writes the connection preface and an empty SETTINGS frame, and flushes.
     */
    public H2Wire preface() throws IOException
    {
        out.write(PREFACE);
        frame(SETTINGS, 0, 0, new byte[0]);
        return flush();
    }

    /**
     * Writes raw bytes (not flushed), for clients that break off mid-preface.
     */
    public H2Wire raw(final byte[] bytes) throws IOException
    {
        out.write(bytes);
        return this;
    }

    /**
     * Writes one frame (not flushed).
     */
    public H2Wire frame(final int type, final int flags, final int streamId, final byte[] payload) throws IOException
    {
        writeFrame(out, type, flags, streamId, payload);
        return this;
    }

    /**
     * Writes one frame's bytes, for a client that drives its own socket.
     */
    public static void writeFrame(final OutputStream out, final int type, final int flags, final int streamId,
        final byte[] payload) throws IOException
    {
        out.write(payload.length >>> 16);
        out.write(payload.length >>> 8);
        out.write(payload.length);
        out.write(type);
        out.write(flags);
        out.write(ByteBuffer.allocate(4).putInt(streamId).array());
        out.write(payload);
    }

    public H2Wire headers(final int streamId, final int flags, final byte[] fragment) throws IOException
    {
        return frame(HEADERS, flags, streamId, fragment);
    }

    public H2Wire continuation(final int streamId, final int flags, final byte[] fragment) throws IOException
    {
        return frame(CONTINUATION, flags, streamId, fragment);
    }

    public H2Wire data(final int streamId, final int flags, final byte[] payload) throws IOException
    {
        return frame(DATA, flags, streamId, payload);
    }

    public H2Wire rstStream(final int streamId, final int errorCode) throws IOException
    {
        return frame(RST_STREAM, 0, streamId, ByteBuffer.allocate(4).putInt(errorCode).array());
    }

    public H2Wire flush() throws IOException
    {
        out.flush();
        return this;
    }

    // ------------------------------------------------------------------------------------ reading

    /**
     * Takes frames until one matches, within the timeout; fails naming the frames seen otherwise,
     * or when the connection ends first.
     */
    public Frame await(final String what, final Predicate<Frame> match, final Duration timeout) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (true)
        {
            final Frame frame = inbound.poll(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (null == frame)
            {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what +
                    "; frames so far: " + summary());
            }
            taken.add(frame);
            if (match.test(frame))
            {
                return frame;
            }
            if (END_OF_CONNECTION == frame.type())
            {
                throw new AssertionError("connection ended (" + frame.text() + ") while waiting for " + what +
                    "; frames: " + summary());
            }
        }
    }

    /**
     * @return the next frame, or null when none arrives within the timeout.
     */
    public Frame next(final Duration timeout) throws InterruptedException
    {
        final Frame frame = inbound.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (null != frame)
        {
            taken.add(frame);
        }
        return frame;
    }

    /**
     * @return the first GOAWAY, waiting for it.
     */
    public Frame awaitGoAway(final Duration timeout) throws InterruptedException
    {
        return await("GOAWAY", frame -> GOAWAY == frame.type(), timeout);
    }

    /**
     * Waits for the connection to end and returns what ended it; fails when anything but
     * {@code allowed} frames arrives first.
     */
    public String awaitEnd(final Predicate<Frame> allowed, final Duration timeout) throws InterruptedException
    {
        final Frame end = await("the connection to end",
            frame -> END_OF_CONNECTION == frame.type() || !allowed.test(frame), timeout);
        if (END_OF_CONNECTION != end.type())
        {
            throw new AssertionError("expected the connection to end, got " + end + "; frames: " + summary());
        }
        return end.text();
    }

    /**
     * @return whether a GOAWAY has arrived, without waiting and without taking any frame.
     */
    public boolean goAwayArrived()
    {
        for (final Frame frame : inbound)
        {
            if (GOAWAY == frame.type())
            {
                return true;
            }
        }
        return false;
    }

    /**
     * @return one line per frame taken so far, for failure messages.
     */
    public String summary()
    {
        final StringBuilder text = new StringBuilder();
        final int from = Math.max(0, taken.size() - 20);
        if (from > 0)
        {
            text.append("... ").append(from).append(" earlier, ");
        }
        for (int i = from; i < taken.size(); i++)
        {
            text.append(taken.get(i)).append(", ");
        }
        return text.toString();
    }

    @Override
    public void close() throws IOException, InterruptedException
    {
        socket.close();
        reader.join(5000);
    }

    // ------------------------------------------------------------------------------------ HPACK

    /**
     * @return a header block for a request: {@code :method}, {@code :scheme http}, {@code :path},
     *         {@code :authority}, then the extra name/value pairs, all literals without indexing.
     */
    public static byte[] requestBlock(final String method, final String path, final String authority,
        final String... extraNamesAndValues)
    {
        final ByteArrayOutputStream block = new ByteArrayOutputStream();
        literal(block, ":method", method);
        literal(block, ":scheme", "http");
        literal(block, ":path", path);
        literal(block, ":authority", authority);
        for (int i = 0; i + 1 < extraNamesAndValues.length; i += 2)
        {
            literal(block, extraNamesAndValues[i], extraNamesAndValues[i + 1]);
        }
        return block.toByteArray();
    }

    /** RFC 7541 6.2.2: literal header field without indexing, new name. */
    private static void literal(final ByteArrayOutputStream block, final String name, final String value)
    {
        block.write(0x00);
        string(block, name);
        string(block, value);
    }

    /** RFC 7541 5.2: string literal without Huffman coding. */
    private static void string(final ByteArrayOutputStream block, final String value)
    {
        final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        integer(block, 7, 0x00, bytes.length);
        block.write(bytes, 0, bytes.length);
    }

    /** RFC 7541 5.1: integer with an N-bit prefix. */
    private static void integer(final ByteArrayOutputStream block, final int prefixBits, final int flags, final int value)
    {
        final int max = (1 << prefixBits) - 1;
        if (value < max)
        {
            block.write(flags | value);
            return;
        }
        block.write(flags | max);
        int rest = value - max;
        while (rest >= 128)
        {
            block.write(rest & 0x7F | 0x80);
            rest >>>= 7;
        }
        block.write(rest);
    }

    /**
     * One frame from the broker, or the end-of-connection marker (payload: what ended it).
     */
    public record Frame(int type, int flags, int streamId, byte[] payload)
    {
        /**
         * @return GOAWAY's last stream id.
         */
        public int lastStreamId()
        {
            return ByteBuffer.wrap(payload).getInt() & 0x7FFF_FFFF;
        }

        /**
         * @return the error code of a GOAWAY or RST_STREAM.
         */
        public long errorCode()
        {
            return ByteBuffer.wrap(payload, GOAWAY == type ? 4 : 0, 4).getInt() & 0xFFFF_FFFFL;
        }

        /**
         * @return GOAWAY's debug data as text.
         */
        public String debugData()
        {
            return new String(payload, 8, payload.length - 8, StandardCharsets.UTF_8);
        }

        /**
         * @return the payload as UTF-8 text.
         */
        public String text()
        {
            return new String(payload, StandardCharsets.UTF_8);
        }

        @Override
        public String toString()
        {
            switch (type)
            {
                case END_OF_CONNECTION:
                    return "END(" + text() + ")";
                case GOAWAY:
                    return "GOAWAY(last=" + lastStreamId() + ", error=" + errorCode() + ", debug=" + debugData() + ")";
                case RST_STREAM:
                    return "RST_STREAM(" + streamId + ", error=" + errorCode() + ")";
                default:
                    return "frame(type=" + type + ", flags=0x" + Integer.toHexString(flags) + ", stream=" + streamId +
                        ", length=" + payload.length + ")";
            }
        }
    }
}

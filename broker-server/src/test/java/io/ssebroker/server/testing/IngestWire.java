package io.ssebroker.server.testing;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The ingest protocol written from docs/ingest-protocol.md alone, over a blocking socket, so tests can
 * send exactly the bytes they mean, valid or not, and read the broker's frames one by one.
 * <p>
 * <b>Threading:</b> one writer thread and one reader thread at most.
 */
public final class IngestWire implements AutoCloseable
{
    public static final int MAGIC = 0x53534542;

    public static final int HELLO = 0x01;
    public static final int WELCOME = 0x02;
    public static final int PUBLISH = 0x10;
    public static final int ACK = 0x11;
    public static final int PING = 0x20;
    public static final int PONG = 0x21;
    public static final int ERROR = 0x7F;

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;

    private IngestWire(final Socket socket) throws IOException
    {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 64 * 1024));
    }

    public static IngestWire connect(final int port) throws IOException
    {
        return new IngestWire(Sockets.connectLoopback(port));
    }

    public Socket socket()
    {
        return socket;
    }

    /**
     * Sends a version-1 HELLO without token or name and reads the WELCOME.
     */
    public Welcome handshake() throws IOException
    {
        hello(MAGIC, 1, "", "");
        flush();
        return readFrame().asWelcome();
    }

    /**
     * Sends a version-2 HELLO with this publisher id (empty for none) and reads the WELCOME.
     */
    public WelcomeV2 handshakeV2(final String publisherId) throws IOException
    {
        helloV2("", "", publisherId);
        flush();
        return readFrame().asWelcomeV2();
    }

    /**
     * Writes a version-2 HELLO (not flushed).
     */
    public IngestWire helloV2(final String token, final String name, final String publisherId) throws IOException
    {
        final byte[] tokenBytes = token.getBytes(StandardCharsets.UTF_8);
        final byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        final byte[] idBytes = publisherId.getBytes(StandardCharsets.UTF_8);
        out.writeInt(1 + 4 + 1 + 2 + tokenBytes.length + 2 + nameBytes.length + 1 + idBytes.length);
        out.writeByte(HELLO);
        out.writeInt(MAGIC);
        out.writeByte(2);
        out.writeShort(tokenBytes.length);
        out.write(tokenBytes);
        out.writeShort(nameBytes.length);
        out.write(nameBytes);
        out.writeByte(idBytes.length);
        out.write(idBytes);
        return this;
    }

    /**
     * Writes a version-2 PUBLISH carrying a publisher sequence (not flushed); event may be null.
     */
    public IngestWire publishV2(final long publisherSeq, final String topic, final String event, final byte[] data)
        throws IOException
    {
        writePublish(out, true, publisherSeq, topic.getBytes(StandardCharsets.UTF_8), eventBytes(event), data);
        return this;
    }

    public IngestWire hello(final int magic, final int version, final String token, final String name) throws IOException
    {
        final byte[] tokenBytes = token.getBytes(StandardCharsets.UTF_8);
        final byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        out.writeInt(1 + 4 + 1 + 2 + tokenBytes.length + 2 + nameBytes.length);
        out.writeByte(HELLO);
        out.writeInt(magic);
        out.writeByte(version);
        out.writeShort(tokenBytes.length);
        out.write(tokenBytes);
        out.writeShort(nameBytes.length);
        out.write(nameBytes);
        return this;
    }

    /**
     * Writes a PUBLISH frame (not flushed); event may be null for none.
     */
    public IngestWire publish(final String topic, final String event, final byte[] data) throws IOException
    {
        return publish(topic.getBytes(StandardCharsets.UTF_8), eventBytes(event), data);
    }

    public IngestWire publish(final byte[] topic, final byte[] event, final byte[] data) throws IOException
    {
        writePublish(out, false, 0, topic, event, data);
        return this;
    }

    /**
     * Writes arbitrary bytes (not flushed).
     */
    public IngestWire raw(final byte[] bytes) throws IOException
    {
        out.write(bytes);
        return this;
    }

    public IngestWire flush() throws IOException
    {
        out.flush();
        return this;
    }

    /**
     * Reads one frame.
     */
    public Frame readFrame() throws IOException
    {
        final long length = in.readInt() & 0xFFFFFFFFL;
        if (length < 1 || length > 1 << 20)
        {
            throw new IOException("implausible frame length from the broker: " + length);
        }
        final int type = in.readUnsignedByte();
        final byte[] body = new byte[(int)length - 1];
        in.readFully(body);
        return new Frame(type, body);
    }

    /**
     * Waits for the broker to close: end of stream or reset, with no frame before it.
     *
     * @return true when closed within the socket timeout.
     */
    public boolean awaitClose() throws IOException
    {
        return Sockets.awaitClose(in);
    }

    public InputStream input()
    {
        return in;
    }

    @Override
    public void close() throws IOException
    {
        socket.close();
    }

    /**
     * @return the bytes of a PUBLISH frame as a publisher writes them.
     */
    public static byte[] publishFrame(final String topic, final String event, final byte[] data)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream frame = new DataOutputStream(bytes))
        {
            writePublish(frame, false, 0, topic.getBytes(StandardCharsets.UTF_8), eventBytes(event), data);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
        return bytes.toByteArray();
    }

    private static byte[] eventBytes(final String event)
    {
        return null == event ? new byte[0] : event.getBytes(StandardCharsets.US_ASCII);
    }

    /** A PUBLISH frame; version 2 starts with the publisher sequence. */
    private static void writePublish(
        final DataOutputStream out,
        final boolean version2,
        final long publisherSeq,
        final byte[] topic,
        final byte[] event,
        final byte[] data) throws IOException
    {
        out.writeInt(1 + (version2 ? 8 : 0) + 2 + topic.length + 1 + event.length + 4 + data.length);
        out.writeByte(PUBLISH);
        if (version2)
        {
            out.writeLong(publisherSeq);
        }
        out.writeShort(topic.length);
        out.write(topic);
        out.writeByte(event.length);
        out.write(event);
        out.writeInt(data.length);
        out.write(data);
    }

    /** One frame from the broker. */
    public record Frame(int type, byte[] body)
    {
        public Welcome asWelcome()
        {
            expect(WELCOME);
            final ByteBuffer b = ByteBuffer.wrap(body);
            return new Welcome(b.get() & 0xFF, b.getInt() & 0xFFFFFFFFL, b.getInt() & 0xFFFFFFFFL,
                b.getInt() & 0xFFFFFFFFL, b.getLong());
        }

        public WelcomeV2 asWelcomeV2()
        {
            expect(WELCOME);
            final ByteBuffer b = ByteBuffer.wrap(body);
            final WelcomeV2 welcome = new WelcomeV2(b.get() & 0xFF, b.getInt() & 0xFFFFFFFFL, b.getInt() & 0xFFFFFFFFL,
                b.getInt() & 0xFFFFFFFFL, b.getLong(), b.getLong(), b.getInt() & 0xFFFFFFFFL, b.getInt() & 0xFFFFFFFFL);
            if (b.hasRemaining())
            {
                throw new AssertionError("version 2 WELCOME longer than its fields: " + b.remaining() + " extra bytes");
            }
            return welcome;
        }

        public Ack asAck()
        {
            expect(ACK);
            final ByteBuffer b = ByteBuffer.wrap(body);
            return new Ack(b.getLong(), b.getInt() & 0xFFFFFFFFL, b.getLong());
        }

        public Error asError()
        {
            expect(ERROR);
            final ByteBuffer b = ByteBuffer.wrap(body);
            final long seq = b.getLong();
            final int code = b.getShort() & 0xFFFF;
            final int length = b.getShort() & 0xFFFF;
            final byte[] message = new byte[length];
            b.get(message);
            if (b.hasRemaining())
            {
                throw new AssertionError("ERROR frame longer than its fields: " + b.remaining() + " extra bytes");
            }
            return new Error(seq, code, new String(message, StandardCharsets.UTF_8));
        }

        private void expect(final int expected)
        {
            if (expected != type)
            {
                final String detail = ERROR == type ? ": " + asError() : "";
                throw new AssertionError("expected frame type 0x" + Integer.toHexString(expected) +
                    ", got 0x" + Integer.toHexString(type) + detail);
            }
        }
    }

    /** WELCOME fields. */
    public record Welcome(int version, long maxFrameBytes, long maxDataBytes, long maxInFlight, long epochId)
    {
    }

    /** Version 2 WELCOME fields. */
    public record WelcomeV2(
        int version,
        long maxFrameBytes,
        long maxDataBytes,
        long maxInFlight,
        long epochId,
        long lastPublisherSeq,
        long dedupWindowEvents,
        long dedupWindowMs)
    {
    }

    /** ACK fields. */
    public record Ack(long firstSeq, long count, long firstId)
    {
    }

    /** ERROR fields. */
    public record Error(long seq, int code, String message)
    {
    }
}

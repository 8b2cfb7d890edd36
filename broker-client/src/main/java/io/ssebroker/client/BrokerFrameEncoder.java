package io.ssebroker.client;

import io.netty.buffer.ByteBuf;

import static io.ssebroker.client.IngestFrameDescriptor.ACK_BODY_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.ERROR_FIXED_BODY_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.HEADER_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.PING_BODY_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.TYPE_ACK;
import static io.ssebroker.client.IngestFrameDescriptor.TYPE_ERROR;
import static io.ssebroker.client.IngestFrameDescriptor.TYPE_PONG;
import static io.ssebroker.client.IngestFrameDescriptor.TYPE_WELCOME;
import static io.ssebroker.client.IngestFrameDescriptor.VERSION_2;
import static io.ssebroker.client.IngestFrameDescriptor.WELCOME_BODY_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.WELCOME_V2_BODY_BYTES;

/**
 * Writes the frames a broker sends ({@code WELCOME}, {@code ACK}, {@code ERROR}, {@code PONG}), the other half of
 * the wire format that {@link IngestFrameDecoder} reads; the broker's ingest handler writes with these, so the
 * client's decoder is tested against the bytes the server sends. {@link IngestFrameEncoder} is the publisher's side.
 * <p>
 * <b>Threading:</b> stateless.
 */
public final class BrokerFrameEncoder
{
    /** Largest error message carried, in bytes (its length field is 16 bits). */
    public static final int MAX_ERROR_MESSAGE_BYTES = 0xFFFF;

    private BrokerFrameEncoder()
    {
    }

    /**
     * @return bytes of a {@code WELCOME} of this version, header included.
     */
    public static int welcomeFrameBytes(final int version)
    {
        return HEADER_BYTES + (VERSION_2 == version ? WELCOME_V2_BODY_BYTES : WELCOME_BODY_BYTES);
    }

    /**
     * Writes a {@code WELCOME}; the version 2 fields only when {@code version} is 2.
     *
     * @param lastPublisherSeq  version 2: highest publisher sequence taken from this publisher id, 0 for none.
     * @param dedupWindowEvents version 2: publishes remembered per publisher id.
     * @param dedupWindowMs     version 2: how long they are remembered (capped to 32 bits).
     */
    public static void writeWelcome(
        final ByteBuf out,
        final int version,
        final int maxFrameBytes,
        final int maxDataBytes,
        final int maxInFlight,
        final long epochId,
        final long lastPublisherSeq,
        final int dedupWindowEvents,
        final long dedupWindowMs)
    {
        final int bodyBytes = VERSION_2 == version ? WELCOME_V2_BODY_BYTES : WELCOME_BODY_BYTES;
        out.writeInt(1 + bodyBytes)
            .writeByte(TYPE_WELCOME)
            .writeByte(version)
            .writeInt(maxFrameBytes)
            .writeInt(maxDataBytes)
            .writeInt(maxInFlight)
            .writeLong(epochId);
        if (VERSION_2 == version)
        {
            out.writeLong(lastPublisherSeq)
                .writeInt(dedupWindowEvents)
                .writeInt((int)Math.min(Integer.MAX_VALUE, dedupWindowMs));
        }
    }

    /**
     * Writes an {@code ACK} for {@code count} consecutive publish frames from {@code firstSequence}, whose events
     * got ids from {@code firstId} on.
     */
    public static void writeAck(final ByteBuf out, final long firstSequence, final int count, final long firstId)
    {
        out.writeInt(1 + ACK_BODY_BYTES)
            .writeByte(TYPE_ACK)
            .writeLong(firstSequence)
            .writeInt(count)
            .writeLong(firstId);
    }

    /**
     * @return bytes of an {@code ERROR} carrying this message, header included.
     */
    public static int errorFrameBytes(final byte[] message)
    {
        return HEADER_BYTES + ERROR_FIXED_BODY_BYTES + Math.min(message.length, MAX_ERROR_MESSAGE_BYTES);
    }

    /**
     * Writes an {@code ERROR}: for publish frame {@code sequence}, or 0 for the connection.
     *
     * @param message UTF-8, cut to {@value #MAX_ERROR_MESSAGE_BYTES} bytes.
     */
    public static void writeError(final ByteBuf out, final long sequence, final int code, final byte[] message)
    {
        final int length = Math.min(message.length, MAX_ERROR_MESSAGE_BYTES);
        out.writeInt(1 + ERROR_FIXED_BODY_BYTES + length)
            .writeByte(TYPE_ERROR)
            .writeLong(sequence)
            .writeShort(code)
            .writeShort(length)
            .writeBytes(message, 0, length);
    }

    /**
     * Writes the {@code PONG} answering a {@code PING} with this nonce.
     */
    public static void writePong(final ByteBuf out, final long nonce)
    {
        out.writeInt(1 + PING_BODY_BYTES).writeByte(TYPE_PONG).writeLong(nonce);
    }
}

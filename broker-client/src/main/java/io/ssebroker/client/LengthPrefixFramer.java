package io.ssebroker.client;

import io.netty.buffer.ByteBuf;

import static io.ssebroker.client.IngestFrameDescriptor.HEADER_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.LENGTH_FIELD_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.TYPE_BYTES;

/**
 * Finds the next frame of the ingest byte stream in a cumulation buffer: the one place that reads the 4-byte
 * length prefix (docs/ingest-protocol.md, <i>Conventions</i>), for both directions: the broker's ingest handler
 * and the publisher's {@link IngestFrameDecoder}.
 * <pre>
 *   index                                             endIndex()
 *   |                                                 |
 *   +-------------------+--------+--------------------+- - -
 *   | length (u32) = L  |  type  |  body (L - 1)      | next frame
 *   +-------------------+--------+--------------------+- - -
 *                       typeIndex()
 *                                bodyIndex()
 * </pre>
 * A {@code length} of 0 (no type byte) or above the caller's maximum is {@link #BAD_LENGTH}, reported as soon as
 * the prefix is there, before any of the body: a peer cannot make either side wait for, or buffer, a frame it will
 * refuse. What the caller answers (an {@code ERROR} code, an exception) and which maximum applies (the
 * {@code HELLO} limit before the handshake, {@code maxFrameBytes} after it, the largest broker frame on the
 * publisher's side) stay with the caller.
 * <p>
 * A flyweight: {@link #wrap} only reads the buffer, never moves its indexes, and fills the fields, which stay
 * valid until the next call; nothing is allocated.
 * <p>
 * <b>Threading:</b> one thread at a time (a connection's event loop).
 */
public final class LengthPrefixFramer
{
    /** A whole frame is in the buffer: {@link #length()} and every index are set. */
    public static final int FRAME = 0;
    /** Fewer bytes than the length prefix: nothing is known yet, {@link #length()} is -1. */
    public static final int NEED_LENGTH = 1;
    /** The length is valid ({@link #length()} and the indexes are set) but the frame is not all there yet. */
    public static final int NEED_BODY = 2;
    /** The length is 0 or above the maximum ({@link #length()} says which); the stream cannot be framed further. */
    public static final int BAD_LENGTH = 3;

    private int index;
    private long length;

    /**
     * @param in        the cumulation; its readable bytes end at its writer index.
     * @param index     where the frame starts, its length prefix (the reader index, usually).
     * @param maxLength largest {@code length} the caller accepts, at least 1.
     * @return {@link #FRAME}, {@link #NEED_LENGTH}, {@link #NEED_BODY} or {@link #BAD_LENGTH}.
     */
    public int wrap(final ByteBuf in, final int index, final int maxLength)
    {
        this.index = index;
        final int available = in.writerIndex() - index;
        if (available < LENGTH_FIELD_BYTES)
        {
            length = -1;
            return NEED_LENGTH;
        }
        // Unsigned 32 bits in a long: a length of 2^31 or more is too large, not negative.
        final long length = in.getUnsignedInt(index);
        this.length = length;
        if (length < TYPE_BYTES || length > maxLength)
        {
            return BAD_LENGTH;
        }
        return available - LENGTH_FIELD_BYTES < length ? NEED_BODY : FRAME;
    }

    /**
     * @return the frame's {@code length} field: type byte plus body; -1 after {@link #NEED_LENGTH}.
     */
    public long length()
    {
        return length;
    }

    /**
     * @return where the frame's type byte is, or will be.
     */
    public int typeIndex()
    {
        return index + LENGTH_FIELD_BYTES;
    }

    /**
     * @return where the frame's body starts.
     */
    public int bodyIndex()
    {
        return index + HEADER_BYTES;
    }

    /**
     * @return the body's length, {@code length - 1}; valid after {@link #FRAME} and {@link #NEED_BODY}.
     */
    public int bodyLength()
    {
        return (int)length - TYPE_BYTES;
    }

    /**
     * @return the index just past the frame, where the next one starts; valid after {@link #FRAME} and
     *         {@link #NEED_BODY}.
     */
    public int endIndex()
    {
        return index + LENGTH_FIELD_BYTES + (int)length;
    }
}

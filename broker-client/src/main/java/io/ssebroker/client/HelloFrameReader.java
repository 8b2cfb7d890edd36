package io.ssebroker.client;

import io.netty.buffer.ByteBuf;

import static io.ssebroker.client.IngestFrameDescriptor.MAGIC;
import static io.ssebroker.client.IngestFrameDescriptor.VERSION;
import static io.ssebroker.client.IngestFrameDescriptor.VERSION_2;

/**
 * Reads the fields of a {@code HELLO} body in place (docs/ingest-protocol.md): magic, version, token, name and,
 * in version 2, the publisher id, each located by index and length. The wire structure only; the broker applies
 * its rules (name and publisher id limits, the token) to what it finds.
 * <p>
 * A flyweight: {@link #wrap} fills the fields, which stay valid until the next call.
 * <b>Threading:</b> one thread at a time.
 */
public final class HelloFrameReader
{
    /** The body's fields are consistent. */
    public static final int OK = 0;
    /** Too short for the fixed fields, or not starting with the magic. */
    public static final int BAD_MAGIC = 1;
    /** A version this reader does not know. */
    public static final int UNKNOWN_VERSION = 2;
    /** The token length runs past the frame. */
    public static final int TOKEN_PAST_FRAME = 3;
    /** The field lengths do not add up to the frame's. */
    public static final int LENGTHS_MISMATCH = 4;

    private static final int FIXED_BYTES = 4 + 1 + 2 + 2;

    private int version;
    private int tokenIndex;
    private int tokenLength;
    private int nameIndex;
    private int nameLength;
    private int publisherIdIndex;
    private int publisherIdLength;

    /**
     * @param in         the buffer holding the frame.
     * @param bodyIndex  where the body starts (after length and type).
     * @param bodyLength its length.
     * @return {@link #OK}, or what is wrong with the structure.
     */
    public int wrap(final ByteBuf in, final int bodyIndex, final int bodyLength)
    {
        version = 0;
        tokenLength = 0;
        nameLength = 0;
        publisherIdLength = 0;
        if (bodyLength < FIXED_BYTES || MAGIC != in.getInt(bodyIndex))
        {
            return BAD_MAGIC;
        }
        version = in.getUnsignedByte(bodyIndex + 4);
        if (VERSION != version && VERSION_2 != version)
        {
            return UNKNOWN_VERSION;
        }
        tokenLength = in.getUnsignedShort(bodyIndex + 5);
        tokenIndex = bodyIndex + 7;
        if (7 + tokenLength + 2 > bodyLength)
        {
            return TOKEN_PAST_FRAME;
        }
        nameLength = in.getUnsignedShort(tokenIndex + tokenLength);
        nameIndex = tokenIndex + tokenLength + 2;
        final int nameEnd = 7 + tokenLength + 2 + nameLength;
        if (VERSION_2 == version)
        {
            if (nameEnd + 1 > bodyLength)
            {
                return LENGTHS_MISMATCH;
            }
            publisherIdLength = in.getUnsignedByte(bodyIndex + nameEnd);
        }
        publisherIdIndex = bodyIndex + nameEnd + 1;
        if ((VERSION_2 == version ? nameEnd + 1 + publisherIdLength : nameEnd) != bodyLength)
        {
            return LENGTHS_MISMATCH;
        }
        return OK;
    }

    /** @return the protocol version asked for (set from {@link #UNKNOWN_VERSION} on). */
    public int version()
    {
        return version;
    }

    public int tokenIndex()
    {
        return tokenIndex;
    }

    public int tokenLength()
    {
        return tokenLength;
    }

    public int nameIndex()
    {
        return nameIndex;
    }

    public int nameLength()
    {
        return nameLength;
    }

    public int publisherIdIndex()
    {
        return publisherIdIndex;
    }

    /** @return the version 2 publisher id's length, 0 for none (and in version 1). */
    public int publisherIdLength()
    {
        return publisherIdLength;
    }
}

package io.ssebroker.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * HTTP/1.1 chunked coding (RFC 9112 7.1) for the text that is not pre-encoded as a chunk: control
 * text, and the end of the body. Events need none of this: {@link SseFrameEncoder} writes them as
 * chunks already.
 * <p>
 * <b>Threading:</b> thread-safe.
 */
public final class ChunkFraming
{
    private static final ByteBuf HEARTBEAT_CHUNK =
        SseControlFrames.constant(Integer.toHexString(SseControlFrames.HEARTBEAT_TEXT.length()) + "\r\n" +
            SseControlFrames.HEARTBEAT_TEXT + "\r\n");

    /** Last chunk of a chunked body. */
    private static final ByteBuf END_OF_BODY = SseControlFrames.constant("0\r\n\r\n");

    private ChunkFraming()
    {
    }

    /**
     * @return a duplicate of the heartbeat comment as one chunk; writing it needs no release.
     */
    public static ByteBuf heartbeatChunk()
    {
        return HEARTBEAT_CHUNK.duplicate();
    }

    /**
     * @return a duplicate of the terminating zero-length chunk.
     */
    public static ByteBuf endOfBody()
    {
        return END_OF_BODY.duplicate();
    }

    /**
     * Wraps text into one chunk. Cold path: copies. Releases {@code text}.
     */
    public static ByteBuf chunk(final ByteBufAllocator alloc, final ByteBuf text)
    {
        try
        {
            final int length = text.readableBytes();
            final int headerLength = SseFrameEncoder.chunkHeaderLength(length);
            final ByteBuf chunk = alloc.buffer(headerLength + length + 2);
            chunk.writeCharSequence(Integer.toHexString(length), java.nio.charset.StandardCharsets.US_ASCII);
            chunk.writeByte('\r').writeByte('\n');
            chunk.writeBytes(text, text.readerIndex(), length);
            chunk.writeByte('\r').writeByte('\n');
            return chunk;
        }
        finally
        {
            text.release();
        }
    }
}

package io.ssebroker.codec;

import io.netty.buffer.ByteBuf;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Points an Agrona {@link UnsafeBuffer} at a region of a Netty {@link ByteBuf}'s memory, so a
 * writer can check the region's bounds once and then store without a {@code ByteBuf}'s per-call
 * capacity, accessibility and reference-count checks. The view does not own a reference: it is
 * valid only while the caller holds one on {@code buf}.
 * <p>
 * <b>Threading:</b> stateless.
 */
public final class ByteBufViews
{
    private ByteBufViews()
    {
    }

    /**
     * Wraps {@code view} around bytes {@code [index, index + length)} of {@code buf} (absolute
     * indexes, independent of reader and writer index).
     */
    public static void wrap(final UnsafeBuffer view, final ByteBuf buf, final int index, final int length)
    {
        if (index < 0 || length < 0 || index + length > buf.capacity())
        {
            throw new IndexOutOfBoundsException(
                "region [" + index + ", " + (index + length) + ") outside capacity " + buf.capacity());
        }
        if (buf.hasMemoryAddress())
        {
            view.wrap(buf.memoryAddress() + index, length);
        }
        else if (buf.hasArray())
        {
            view.wrap(buf.array(), buf.arrayOffset() + index, length);
        }
        else
        {
            // A direct buffer without Unsafe access: its NIO view of the region carries the address.
            view.wrap(buf.nioBuffer(index, length));
        }
    }
}

package io.ssebroker.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Utf8TextTest
{
    private static final byte[][] INVALID = {
        {(byte)0x80},                               // continuation byte without a lead
        {(byte)0xC3},                               // truncated two-byte sequence
        {(byte)0xC0, (byte)0x80},                   // overlong NUL
        {(byte)0xED, (byte)0xA0, (byte)0x80},       // UTF-16 surrogate
        {(byte)0xF4, (byte)0x90, (byte)0x80, (byte)0x80}, // above U+10FFFF
        {(byte)0xFF}};

    @Test
    void shouldAcceptAsciiAndMultiByteTextInDirectAndHeapBuffers()
    {
        for (final boolean direct : new boolean[]{true, false})
        {
            final String text = "{\"sym\":\"AAPL\",\"px\":189.25,\"note\":\"Zürich € 😀\"} tail of plain ASCII text";
            final ByteBuf buf = buffer(direct, text.getBytes(StandardCharsets.UTF_8));
            try
            {
                assertTrue(Utf8Text.isValid(buf, 0, buf.readableBytes()));
            }
            finally
            {
                buf.release();
            }
        }
    }

    @Test
    void shouldRejectEachMalformedSequenceAtEveryOffsetOfAWord()
    {
        for (final byte[] bad : INVALID)
        {
            for (int at = 0; at < 24; at++)
            {
                final byte[] bytes = new byte[40];
                java.util.Arrays.fill(bytes, (byte)'a');
                System.arraycopy(bad, 0, bytes, at, bad.length);
                for (final boolean direct : new boolean[]{true, false})
                {
                    final ByteBuf buf = buffer(direct, bytes);
                    try
                    {
                        assertFalse(Utf8Text.isValid(buf, 0, bytes.length), "malformed at " + at);
                    }
                    finally
                    {
                        buf.release();
                    }
                }
            }
        }
    }

    @Test
    void shouldAgreeWithNettyOnRandomMostlyAsciiInputAndSubRanges()
    {
        final Random random = new Random(7);
        for (int round = 0; round < 2_000; round++)
        {
            final byte[] bytes = new byte[1 + random.nextInt(200)];
            for (int i = 0; i < bytes.length; i++)
            {
                bytes[i] = (byte)(random.nextInt(20) == 0 ? 0x80 + random.nextInt(128) : 0x20 + random.nextInt(95));
            }
            final int index = random.nextInt(bytes.length);
            final int length = random.nextInt(bytes.length - index + 1);
            final ByteBuf buf = buffer(round % 2 == 0, bytes);
            try
            {
                assertEquals(ByteBufUtil.isText(buf, index, length, StandardCharsets.UTF_8),
                    Utf8Text.isValid(buf, index, length), "round " + round);
            }
            finally
            {
                buf.release();
            }
        }
    }

    private static ByteBuf buffer(final boolean direct, final byte[] bytes)
    {
        final ByteBuf buf = direct ? PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length) : Unpooled.buffer(bytes.length);
        return buf.writeBytes(bytes);
    }
}

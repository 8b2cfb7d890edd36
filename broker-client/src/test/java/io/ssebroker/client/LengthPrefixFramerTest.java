package io.ssebroker.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The length prefix of docs/ingest-protocol.md, <i>Conventions</i>: each answer {@link LengthPrefixFramer} gives for
 * the bytes of a cumulation, written out here as hex.
 */
class LengthPrefixFramerTest
{
    private static final int MAX = 16;

    private final LengthPrefixFramer framer = new LengthPrefixFramer();

    @Test
    void shouldNeedTheLengthWhileThePrefixIsPartial()
    {
        for (final String bytes : new String[] {"", "00", "0000", "000000"})
        {
            assertEquals(LengthPrefixFramer.NEED_LENGTH, wrap(bytes, 0), bytes);
            assertEquals(-1, framer.length(), bytes);
        }
    }

    @Test
    void shouldNeedTheBodyWhileTheFrameIsPartialAndSayWhereItWillEnd()
    {
        assertEquals(LengthPrefixFramer.NEED_BODY, wrap("00000003 10 aa", 0));
        assertEquals(3, framer.length());
        assertEquals(4, framer.typeIndex());
        assertEquals(5, framer.bodyIndex());
        assertEquals(2, framer.bodyLength());
        assertEquals(7, framer.endIndex());
        assertEquals(LengthPrefixFramer.NEED_BODY, wrap("00000001", 0), "the type byte is part of the frame");
    }

    @Test
    void shouldFindAWholeFrame()
    {
        assertEquals(LengthPrefixFramer.FRAME, wrap("00000003 10 aabb", 0));
        assertEquals(3, framer.length());
        assertEquals(4, framer.typeIndex());
        assertEquals(5, framer.bodyIndex());
        assertEquals(2, framer.bodyLength());
        assertEquals(7, framer.endIndex());
    }

    @Test
    void shouldFindAFrameOfTheTypeByteAlone()
    {
        assertEquals(LengthPrefixFramer.FRAME, wrap("00000001 20", 0));
        assertEquals(0, framer.bodyLength());
        assertEquals(5, framer.endIndex());
    }

    @Test
    void shouldRefuseLengthZeroAtOnce()
    {
        assertEquals(LengthPrefixFramer.BAD_LENGTH, wrap("00000000", 0));
        assertEquals(0, framer.length());
    }

    @Test
    void shouldRefuseALengthOverTheMaximumBeforeItsBodyArrives()
    {
        assertEquals(LengthPrefixFramer.BAD_LENGTH, wrap("00000011", 0));
        assertEquals(MAX + 1, framer.length());
    }

    @Test
    void shouldReadTheLengthAsUnsigned32Bits()
    {
        assertEquals(LengthPrefixFramer.BAD_LENGTH, wrap("ffffffff 10", 0));
        assertEquals(0xFFFFFFFFL, framer.length());
        assertEquals(LengthPrefixFramer.BAD_LENGTH, wrap("80000000 10", 0));
        assertEquals(0x80000000L, framer.length());
    }

    @Test
    void shouldAcceptALengthOfExactlyTheMaximum()
    {
        final String body = "000102030405060708090a0b0c0d0e";
        assertEquals(LengthPrefixFramer.NEED_BODY, wrap("00000010 10" + body.substring(2), 0));
        assertEquals(LengthPrefixFramer.FRAME, wrap("00000010 10" + body, 0));
        assertEquals(MAX, framer.length());
        assertEquals(4 + MAX, framer.endIndex());
    }

    @Test
    void shouldWalkSeveralFramesInOneBufferFromEachEndIndex()
    {
        final String bytes = "00000002 11 aa  00000001 21  00000003 7f bbcc  000000";
        final ByteBuf in = buffer(bytes);
        try
        {
            final StringBuilder found = new StringBuilder();
            int index = in.readerIndex();
            int framing;
            while (LengthPrefixFramer.FRAME == (framing = framer.wrap(in, index, MAX)))
            {
                found.append(Integer.toHexString(in.getUnsignedByte(framer.typeIndex()))).append('/')
                    .append(framer.bodyLength()).append(' ');
                index = framer.endIndex();
            }
            assertEquals("11/1 21/0 7f/2 ", found.toString());
            assertEquals(LengthPrefixFramer.NEED_LENGTH, framing);
            assertEquals(18, index);
            assertEquals(0, in.readerIndex(), "wrap does not move the reader index");
        }
        finally
        {
            in.release();
        }
    }

    @Test
    void shouldFrameFromTheIndexGivenNotFromTheStartOfTheBuffer()
    {
        assertEquals(LengthPrefixFramer.FRAME, wrap("ffff 00000001 20", 2));
        assertEquals(1, framer.length());
        assertEquals(6, framer.typeIndex());
        assertEquals(7, framer.endIndex());
    }

    private int wrap(final String hex, final int index)
    {
        final ByteBuf in = buffer(hex);
        try
        {
            return framer.wrap(in, index, MAX);
        }
        finally
        {
            in.release();
        }
    }

    private static ByteBuf buffer(final String hex)
    {
        final String digits = hex.replace(" ", "");
        final byte[] bytes = new byte[digits.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(digits.substring(2 * i, 2 * i + 2), 16);
        }
        return Unpooled.wrappedBuffer(bytes);
    }
}

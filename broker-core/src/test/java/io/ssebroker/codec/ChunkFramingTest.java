package io.ssebroker.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ChunkFramingTest
{
    @Test
    void shouldReadTheSizeOfEachChunkOfARunInEitherCase()
    {
        final String run = "5\r\nhello\r\n" + "1A\r\n" + "x".repeat(26) + "\r\n" + "ff\r\n" + "y".repeat(255) + "\r\n";
        final ByteBuf frames = Unpooled.copiedBuffer("pad" + run, StandardCharsets.US_ASCII);
        try
        {
            int at = 3;
            final int[] expected = {5, 26, 255};
            for (final int size : expected)
            {
                assertEquals(size, ChunkFraming.chunkSizeAt(frames, at));
                at += SseFrameEncoder.chunkHeaderLength(size) + size + 2;
            }
            assertEquals(frames.writerIndex(), at);
        }
        finally
        {
            frames.release();
        }
    }

    @Test
    void shouldReadWhatTheEncoderWrote()
    {
        for (final int size : new int[] {0, 1, 15, 16, 255, 4096, 1 << 20})
        {
            final ByteBuf chunk = ChunkFraming.chunk(Unpooled.buffer(0).alloc(), Unpooled.wrappedBuffer(new byte[size]));
            try
            {
                assertEquals(size, ChunkFraming.chunkSizeAt(chunk, chunk.readerIndex()), "size " + size);
            }
            finally
            {
                chunk.release();
            }
        }
    }
}

package io.ssebroker.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SseFrameEncoderTest
{
    private final UnsafeBuffer source = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
    private final SseFrameEncoder encoder = new SseFrameEncoder();

    @Test
    void shouldEncodeSingleLineAsOneChunk()
    {
        assertEquals("f\r\nid: 7\ndata: x\n\n\r\n", encode(7, "", "x"));
    }

    @Test
    void shouldWriteEventFieldWhenNamed()
    {
        final String payload = "id: 42\nevent: quote\ndata: {\"p\":1}\n\n";
        assertEquals(Integer.toHexString(payload.length()) + "\r\n" + payload + "\r\n", encode(42, "quote", "{\"p\":1}"));
    }

    @Test
    void shouldSplitDataOnLfCrAndCrLfLikeWhatwgParser()
    {
        final String payload = "id: 1\ndata: a\ndata: b\ndata: c\ndata: d\n\n";
        assertEquals(Integer.toHexString(payload.length()) + "\r\n" + payload + "\r\n", encode(1, "", "a\nb\rc\r\nd"));
    }

    @Test
    void shouldKeepTrailingLineBreakAsEmptyDataLine()
    {
        final String payload = "id: 3\ndata: a\ndata: \n\n";
        assertEquals(Integer.toHexString(payload.length()) + "\r\n" + payload + "\r\n", encode(3, "", "a\n"));
    }

    @Test
    void shouldCopyMultiByteUtf8Unchanged()
    {
        final String data = "Zürich \u20ac \uD83D\uDE80 東京";
        final String payload = "id: 9\ndata: " + data + "\n\n";
        final int payloadBytes = payload.getBytes(StandardCharsets.UTF_8).length;
        assertEquals(Integer.toHexString(payloadBytes) + "\r\n" + payload + "\r\n", encode(9, "", data));
    }

    @Test
    void shouldUseLowercaseHexChunkSizeForLargePayload()
    {
        final String data = "y".repeat(3000);
        final String payload = "id: 1795241191027064\ndata: " + data + "\n\n";
        assertEquals(Integer.toHexString(payload.length()) + "\r\n" + payload + "\r\n", encode(1795241191027064L, "", data));
    }

    @Test
    void shouldIncrementAsciiDigitsWithCarryAndGrowth()
    {
        final byte[] digits = new byte[20];
        digits[0] = '9';
        digits[1] = '9';
        final int count = SseFrameEncoder.incrementDigits(digits, 2);
        assertEquals("100", new String(digits, 0, count, StandardCharsets.US_ASCII));
        final int next = SseFrameEncoder.incrementDigits(digits, count);
        assertEquals("101", new String(digits, 0, next, StandardCharsets.US_ASCII));
    }

    @Test
    void shouldFindLineBreakAtEveryPositionOfEightByteWords()
    {
        for (int length = 1; length <= 24; length++)
        {
            for (int at = 0; at < length; at++)
            {
                for (final byte lineBreak : new byte[]{'\n', '\r'})
                {
                    source.setMemory(0, 64, (byte)'a');
                    source.putByte(3 + at, lineBreak);
                    assertEquals(3 + at, SseFrameEncoder.indexOfLineBreak(source, 3, length));
                }
            }
            source.setMemory(0, 64, (byte)'a');
            assertEquals(-1, SseFrameEncoder.indexOfLineBreak(source, 3, length));
        }
    }

    private String encode(final long id, final String event, final String data)
    {
        final byte[] eventBytes = event.getBytes(StandardCharsets.US_ASCII);
        final byte[] dataBytes = data.getBytes(StandardCharsets.UTF_8);
        source.putBytes(0, eventBytes);
        source.putBytes(100, dataBytes);
        final int payloadLength = SseFrameEncoder.payloadLength(id, eventBytes.length, source, 100, dataBytes.length);
        final ByteBuf frame = Unpooled.buffer(SseFrameEncoder.frameLength(payloadLength));
        try
        {
            encoder.encode(frame, id, source, 0, eventBytes.length, 100, dataBytes.length, payloadLength);
            assertEquals(SseFrameEncoder.frameLength(payloadLength), frame.readableBytes());
            return frame.toString(StandardCharsets.UTF_8);
        }
        finally
        {
            frame.release();
        }
    }
}

package io.ssebroker.loadgen;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class Http1StreamDecoderTest
{
    private static final String CHUNKED_HEAD =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

    private final List<String> calls = new ArrayList<>();
    private final SseParser parser = new SseParser(
        (p, nowNs) -> calls.add("event " + new String(p.data(), 0, p.dataLength(), StandardCharsets.UTF_8)),
        1024);
    private final EmbeddedChannel channel = new EmbeddedChannel(new Http1StreamDecoder(
        parser,
        new Http1StreamDecoder.ResponseListener()
        {
            public void onResponseStarted(final long nowNs)
            {
                calls.add("started " + nowNs);
            }

            public void onResponseFailed(final int status, final String reason)
            {
                calls.add("failed " + status + " " + reason);
            }

            public void onResponseEnded()
            {
                calls.add("ended");
            }
        },
        () -> 42));

    @AfterEach
    void finish()
    {
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void shouldDecodeChunkedEventsSplitAcrossChunks()
    {
        write(CHUNKED_HEAD + "d\r\nid: 1\ndata: a\r\n" + "2\r\n\n\n\r\n" + "F\r\ndata: bc\n\ndata:\r\n" + "3\r\n d\n\r\n");
        write("1\r\n\n\r\n");

        assertEquals(List.of("started 42", "event a", "event bc", "event d"), calls);
    }

    @Test
    void shouldDecodeSameBytesDeliveredOneAtATime()
    {
        final byte[] bytes = (CHUNKED_HEAD + "A;ext=1\r\ndata: xy\n\n\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        for (final byte b : bytes)
        {
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[]{ b }));
        }

        assertEquals(List.of("started 42", "event xy", "ended"), calls);
    }

    @Test
    void shouldReportEndOfChunkedBodyAfterTrailers()
    {
        write(CHUNKED_HEAD + "0\r\nX-Trailer: 1\r\n\r\n");

        assertEquals(List.of("started 42", "ended"), calls);
    }

    @Test
    void shouldFailOnNon200Status()
    {
        write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");

        assertEquals(List.of("failed 404 status 404"), calls);
    }

    @Test
    void shouldFailOnMalformedChunkSize()
    {
        write(CHUNKED_HEAD + "zz\r\n");

        assertEquals(List.of("started 42", "failed 200 malformed chunk size"), calls);
    }

    @Test
    void shouldReadIdentityBodyUntilContentLength()
    {
        write("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\ndata: a\n\nignored");

        assertEquals(List.of("started 42", "event a", "ended"), calls);
    }

    @Test
    void shouldReadIdentityBodyWithoutLengthUntilClose()
    {
        write("HTTP/1.0 200 OK\r\n\r\ndata: a\n\n");
        write("data: b\n\n");

        assertEquals(List.of("started 42", "event a", "event b"), calls);
    }

    @Test
    void shouldReleaseEveryReceivedBuffer()
    {
        final ByteBuf buffer = Unpooled.copiedBuffer(CHUNKED_HEAD + "4\r\nda", StandardCharsets.US_ASCII);

        channel.writeInbound(buffer);

        assertEquals(0, buffer.refCnt());
    }

    private void write(final String text)
    {
        channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
    }
}

package io.ssebroker.loadgen;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SseParserTest
{
    private final List<String> events = new ArrayList<>();
    private final SseParser parser = new SseParser(
        (p, nowNs) -> events.add(
            "type=" + new String(p.eventType(), 0, p.eventTypeLength(), StandardCharsets.UTF_8) +
            " id=" + p.lastEventIdAsString() +
            " data=" + new String(p.data(), 0, p.dataLength(), StandardCharsets.UTF_8) +
            " t=" + nowNs),
        64);

    @Test
    void shouldDispatchEventWithIdTypeAndMultiLineData()
    {
        feed("id: 7\nevent: tick\ndata: a\ndata: b\n\n");

        assertEquals(List.of("type=tick id=7 data=a\nb t=1"), events);
    }

    @Test
    void shouldAcceptCrLfAndCrLineEndsIncludingCrLfSplitAcrossBuffers()
    {
        feed("data: a\r\n\r\ndata: b\r\rdata: c\r");
        feed("\n\r\n");

        assertEquals(List.of("type= id= data=a t=1", "type= id= data=b t=1", "type= id= data=c t=1"), events);
    }

    @Test
    void shouldIgnoreCommentsAndUnknownFields()
    {
        feed(": hi\nfoo: bar\ndata: x\n:another\n\n");

        assertEquals(List.of("type= id= data=x t=1"), events);
    }

    @Test
    void shouldNotDispatchWithoutDataAndShouldClearEventType()
    {
        feed("event: lonely\n\ndata: y\n\n");

        assertEquals(List.of("type= id= data=y t=1"), events);
    }

    @Test
    void shouldStripExactlyOneSpaceAfterColon()
    {
        feed("data:x\n\ndata:  y\n\ndata\n\n");

        assertEquals(List.of("type= id= data=x t=1", "type= id= data= y t=1", "type= id= data= t=1"), events);
    }

    @Test
    void shouldKeepLastEventIdAcrossEventsAndIgnoreIdWithNul()
    {
        feed("id: 5\ndata: a\n\ndata: b\n\nid: 6\u0000\ndata: c\n\n");

        assertEquals(List.of("type= id=5 data=a t=1", "type= id=5 data=b t=1", "type= id=5 data=c t=1"), events);
    }

    @Test
    void shouldMoveLastEventIdOnlyWhenItsEventIsDispatched()
    {
        feed("id: 5\ndata: a\n\nid: 6\ndata: b\n");

        assertEquals("5", parser.lastEventIdAsString());
        feed("\n");
        assertEquals("6", parser.lastEventIdAsString());
    }

    @Test
    void shouldKeepIdOfLastDispatchedEventWhenConnectionIsCutInsideTheNextEvent()
    {
        feed("id: 5\ndata: a\n\nid: 6\ndata: b\n");
        parser.reset();
        feed("data: c\n\n");

        // Event 6 never completed: resuming from it would skip it.
        assertEquals(List.of("type= id=5 data=a t=1", "type= id=5 data=c t=1"), events);
        assertEquals("5", parser.lastEventIdAsString());
    }

    @Test
    void shouldSkipLeadingByteOrderMark()
    {
        feed("\uFEFFdata: a\n\n");

        assertEquals(List.of("type= id= data=a t=1"), events);
    }

    @Test
    void shouldParseNumericRetryOnly()
    {
        feed("retry: 1500\nretry: 12x\n");

        assertEquals(1500, parser.retryMs());
    }

    @Test
    void shouldDropOverlongLineAndKeepParsing()
    {
        feed("data: " + "x".repeat(100) + "\n\ndata: ok\n\n");

        assertEquals(List.of("type= id= data=ok t=1"), events);
        assertEquals(1, parser.overlongLines());
    }

    @Test
    void shouldGiveSameEventsWhenFedOneByteAtATime()
    {
        final byte[] bytes = "id: 1\r\nevent: e\r\ndata: p\r\n\r\ndata: q\n\n".getBytes(StandardCharsets.UTF_8);
        final ByteBuf buffer = Unpooled.wrappedBuffer(bytes);
        for (int i = 0; i < bytes.length; i++)
        {
            parser.feed(buffer, i, 1, 1);
        }

        assertEquals(List.of("type=e id=1 data=p t=1", "type= id=1 data=q t=1"), events);
    }

    private void feed(final String text)
    {
        final ByteBuf buffer = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
        try
        {
            parser.feed(buffer, buffer.readerIndex(), buffer.readableBytes(), 1);
        }
        finally
        {
            buffer.release();
        }
    }
}

package io.ssebroker.server.http2;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.http.HttpResponses;
import io.ssebroker.server.testing.EngineBackend;
import io.ssebroker.server.testing.H2Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP/2 handler alone on an {@link EmbeddedChannel}, against an engine built but not started: the frames it
 * answers a subscribe and a refusal with, parsed from its bytes by RFC 9113's frame layout, with the exact DATA
 * payload of an event stream's preamble.
 */
class Http2BrokerHandlerTest
{
    private final BrokerConfig config = BrokerConfig.defaults();
    private final EngineBackend backend = new EngineBackend(config);
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp()
    {
        channel = new EmbeddedChannel(Http2BrokerHandler.create(backend, new HttpResponses(config.corsOrigins())));
        final ByteBuf opening = Unpooled.buffer().writeBytes(H2Wire.PREFACE);
        frame(opening, H2Wire.SETTINGS, 0, 0, new byte[0]);
        channel.writeInbound(opening);
        final List<Frame> greeting = frames();
        assertTrue(greeting.stream().anyMatch(f -> H2Wire.SETTINGS == f.type && 0 == (f.flags & H2Wire.ACK)), greeting.toString());
        assertTrue(greeting.stream().anyMatch(f -> H2Wire.SETTINGS == f.type && H2Wire.ACK == (f.flags & H2Wire.ACK)),
            "our SETTINGS acknowledged: " + greeting);
    }

    @AfterEach
    void tearDown()
    {
        channel.finishAndReleaseAll();
        backend.close();
    }

    @Test
    void shouldOpenAStreamWithHeadersThenThePreambleAsData()
    {
        request(1, "/events?topic=ticker.AAPL");
        final List<Frame> frames = frames();
        assertEquals(H2Wire.HEADERS, frames.get(0).type, frames.toString());
        assertEquals(1, frames.get(0).streamId);
        assertEquals(0, frames.get(0).flags & H2Wire.END_STREAM, "an event stream stays open");
        final Frame data = frames.get(1);
        assertEquals(H2Wire.DATA, data.type, frames.toString());
        assertEquals(1, data.streamId);
        assertEquals("retry: 3000\n: ok\n\n", new String(data.payload, StandardCharsets.UTF_8));
        assertEquals(1, backend.engine().fanOut(0).subscriberCount());

        final ByteBuf cancel = Unpooled.buffer();
        frame(cancel, H2Wire.RST_STREAM, 0, 1, new byte[] {0, 0, 0, (byte)H2Wire.CANCEL});
        channel.writeInbound(cancel);
        channel.runPendingTasks();
        assertEquals(0, backend.engine().fanOut(0).subscriberCount(), "the cancelled stream's subscription ends");
    }

    @Test
    void shouldRefuseAMissingTopicOnItsStreamAlone()
    {
        request(3, "/events");
        final List<Frame> frames = frames();
        assertEquals(H2Wire.HEADERS, frames.get(0).type, frames.toString());
        final Frame body = frames.get(frames.size() - 1);
        assertEquals(H2Wire.DATA, body.type);
        assertEquals(H2Wire.END_STREAM, body.flags & H2Wire.END_STREAM);
        assertEquals("missing topic parameter (GET /events?topic=NAME)\n", new String(body.payload, StandardCharsets.UTF_8));
        assertTrue(channel.isOpen(), "a stream error, not a connection error");
    }

    private void request(final int streamId, final String path)
    {
        final ByteBuf out = Unpooled.buffer();
        frame(out, H2Wire.HEADERS, H2Wire.END_HEADERS | H2Wire.END_STREAM, streamId,
            H2Wire.requestBlock("GET", path, "127.0.0.1"));
        channel.writeInbound(out);
        channel.runPendingTasks();
    }

    private static void frame(final ByteBuf out, final int type, final int flags, final int streamId, final byte[] payload)
    {
        out.writeMedium(payload.length).writeByte(type).writeByte(flags).writeInt(streamId).writeBytes(payload);
    }

    /** Every frame written so far, parsed by the 9-byte frame header of RFC 9113 4.1. */
    private List<Frame> frames()
    {
        final ByteBuf all = Unpooled.buffer();
        for (Object message = channel.readOutbound(); null != message; message = channel.readOutbound())
        {
            final ByteBuf buf = (ByteBuf)message;
            all.writeBytes(buf);
            buf.release();
        }
        final List<Frame> frames = new ArrayList<>();
        while (all.readableBytes() >= 9)
        {
            final int length = all.readUnsignedMedium();
            final int type = all.readUnsignedByte();
            final int flags = all.readUnsignedByte();
            final int streamId = all.readInt() & 0x7FFFFFFF;
            final byte[] payload = ByteBufUtil.getBytes(all, all.readerIndex(), length);
            all.skipBytes(length);
            frames.add(new Frame(type, flags, streamId, payload));
        }
        assertEquals(0, all.readableBytes(), "a partial frame");
        all.release();
        return frames;
    }

    private record Frame(int type, int flags, int streamId, byte[] payload)
    {
        @Override
        public String toString()
        {
            return "Frame{type " + type + ", flags " + flags + ", stream " + streamId + ", " + payload.length + " bytes}";
        }
    }
}

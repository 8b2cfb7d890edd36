package io.ssebroker.server.ingest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.ssebroker.client.IngestErrorCode;
import io.ssebroker.client.IngestFrameDescriptor;
import io.ssebroker.client.IngestFrameEncoder;
import io.ssebroker.engine.BrokerEngine;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.EngineBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ingest handler alone on an {@link EmbeddedChannel}, against an engine that is built but not started (no
 * sequencer thread): the exact bytes it answers a handshake, a ping, a rejected publish and malformed frames
 * with, written out here from docs/ingest-protocol.md rather than with the broker's own encoder.
 */
class IngestConnectionHandlerTest
{
    private final BrokerConfig config = BrokerConfig.defaults();
    private final EngineBackend backend = new EngineBackend(config);
    private final BrokerCounters counters = backend.counters();
    private final BrokerEngine engine = backend.engine();
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp()
    {
        channel = new EmbeddedChannel(new IngestConnectionHandler(backend));
    }

    @AfterEach
    void tearDown()
    {
        channel.finishAndReleaseAll();
        backend.close();
    }

    @Test
    void shouldAnswerHelloWithTheWelcomeOfItsVersion()
    {
        channel.writeInbound(hello());
        final ByteBuf expected = Unpooled.buffer()
            .writeInt(22).writeByte(0x02)             // length, WELCOME
            .writeByte(1)                              // version
            .writeInt(config.maxFrameBytes())
            .writeInt(config.maxDataBytes())
            .writeInt(config.maxInFlight())
            .writeLong(engine.epochId());
        assertFrame(expected);
        assertNull(channel.readOutbound());
        assertTrue(channel.isOpen());
    }

    @Test
    void shouldAnswerPingWithPongOfTheSameNonce()
    {
        channel.writeInbound(hello());
        release(channel.readOutbound());
        final ByteBuf ping = Unpooled.buffer();
        IngestFrameEncoder.encodePing(ping, 0x0102030405060708L);
        channel.writeInbound(ping);
        assertFrame(Unpooled.buffer().writeInt(9).writeByte(0x21).writeLong(0x0102030405060708L));
    }

    @Test
    void shouldRejectOnePublishAndKeepTheConnection()
    {
        channel.writeInbound(hello());
        release(channel.readOutbound());
        final ByteBuf publish = Unpooled.buffer();
        final byte[] data = "x".getBytes(StandardCharsets.UTF_8);
        IngestFrameEncoder.encodePublish(publish, "bad topic", 9, null, 0, data, 0, data.length);
        channel.writeInbound(publish);
        final String message = "topic must be 1 to 128 bytes of A-Z a-z 0-9 . _ - : ~ @";
        assertFrame(error(1, IngestErrorCode.INVALID_TOPIC, message));
        assertTrue(channel.isOpen());
        assertEquals(1, counters.get(Counter.INGEST_REJECTED));
    }

    @Test
    void shouldFailTheHandshakeOnAnotherProtocolsBytes()
    {
        channel.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\n\r\n", StandardCharsets.US_ASCII));
        assertFrame(error(0, IngestErrorCode.BAD_HANDSHAKE,
            "the first frame must be HELLO (type 0x01) starting with magic 'SSEB', length 1 to " +
                IngestFrameDescriptor.MAX_HELLO_BYTES));
        assertFalse(channel.isOpen());
    }

    @Test
    void shouldCloseOnAZeroLengthFrameAfterTheHandshake()
    {
        channel.writeInbound(hello());
        release(channel.readOutbound());
        channel.writeInbound(Unpooled.buffer().writeInt(0));
        assertFrame(error(0, IngestErrorCode.BAD_FRAME, "frame length must be at least 1"));
        assertFalse(channel.isOpen());
    }

    private static ByteBuf hello()
    {
        final ByteBuf hello = Unpooled.buffer();
        IngestFrameEncoder.encodeHello(hello, new byte[0], "test".getBytes(StandardCharsets.US_ASCII));
        return hello;
    }

    private static ByteBuf error(final long sequence, final int code, final String message)
    {
        final byte[] text = message.getBytes(StandardCharsets.UTF_8);
        return Unpooled.buffer()
            .writeInt(1 + 8 + 2 + 2 + text.length).writeByte(0x7F)
            .writeLong(sequence).writeShort(code).writeShort(text.length).writeBytes(text);
    }

    /** The next outbound message has exactly these bytes (several writes of one flush are joined). */
    private void assertFrame(final ByteBuf expected)
    {
        final ByteBuf actual = channel.readOutbound();
        try
        {
            assertEquals(ByteBufUtil.hexDump(expected), null == actual ? "nothing written" : ByteBufUtil.hexDump(actual));
        }
        finally
        {
            expected.release();
            release(actual);
        }
    }

    private static void release(final Object message)
    {
        if (message instanceof ByteBuf)
        {
            ((ByteBuf)message).release();
        }
    }
}

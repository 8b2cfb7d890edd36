package io.ssebroker.client;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.AsciiString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Drives {@link IngestClient} over an {@link EmbeddedChannel} with the exact bytes of docs/ingest-protocol.md.
 */
class IngestClientTest
{
    static final String HELLO_EXAMPLE = "00 00 00 0A 01 53 53 45 42 01 00 00 00 00";
    static final String PUBLISH_EXAMPLE = "00 00 00 0B 10 00 01 74 00 00 00 00 02 68 69";
    static final String WELCOME_EXAMPLE =
        "00 00 00 16 02 01 00 10 02 00 00 10 00 00 00 00 10 00 00 06 2A 1C 3E 8F 90 00";
    static final String ACK_EXAMPLE = "00 00 00 15 11 00 00 00 00 00 00 00 01 00 00 00 01 00 06 2A 1C 3E 8F 90 2A";

    private static final AsciiString TOPIC_T = AsciiString.cached("t");
    private static final byte[] HI = "hi".getBytes(StandardCharsets.UTF_8);

    private final RecordingListener listener = new RecordingListener();
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private IngestClient lastClient;

    @AfterEach
    void releaseEverything()
    {
        channel.finishAndReleaseAll();
    }

    @Test
    void shouldSendHelloAsInProtocolExample()
    {
        newClient(0);

        assertEquals(hexOf(HELLO_EXAMPLE), readOutboundHex());
    }

    @Test
    void shouldExposeWelcomeFields()
    {
        final IngestClient client = connectedClient(0);

        assertEquals(1, client.version());
        assertEquals(1_048_576 + 512, client.maxFrameBytes());
        assertEquals(1_048_576, client.maxDataBytes());
        assertEquals(4096, client.maxInFlight());
        assertEquals(4096, client.window());
        assertEquals(0x00062A1C3E8F9000L, client.epochId());
    }

    @Test
    void shouldEncodePublishAsInProtocolExample()
    {
        final IngestClient client = connectedClient(0);

        assertEquals(1, client.tryPublish(TOPIC_T, null, HI, 0, HI.length));
        channel.runPendingTasks();

        assertEquals(hexOf(PUBLISH_EXAMPLE), readOutboundHex());
    }

    @Test
    void shouldEncodeEventNameAndByteBufData()
    {
        final IngestClient client = connectedClient(0);
        final ByteBuf data = Unpooled.copiedBuffer("x", StandardCharsets.UTF_8);
        try
        {
            client.tryPublish("ab", "ev", data);
        }
        finally
        {
            data.release();
        }
        channel.runPendingTasks();

        assertEquals(hexOf("00 00 00 0D 10 00 02 61 62 02 65 76 00 00 00 01 78"), readOutboundHex());
    }

    @Test
    void shouldCompletePublishWithIdFromAck()
    {
        final IngestClient client = connectedClient(0);
        final CompletableFuture<Long> id = client.publish("t", null, HI);
        channel.runPendingTasks();
        releaseOutbound();

        channel.writeInbound(bytes(ACK_EXAMPLE));

        assertEquals(0x00062A1C3E8F902AL, id.join());
        assertEquals(List.of("ack 1 1 " + 0x00062A1C3E8F902AL), listener.calls);
        assertEquals(0, client.inFlight());
    }

    @Test
    void shouldAssignConsecutiveIdsAcrossAckRun()
    {
        final IngestClient client = connectedClient(0);
        final List<CompletableFuture<Long>> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            ids.add(client.publish("t", null, HI));
        }

        channel.writeInbound(ack(1, 2, 100));
        channel.writeInbound(ack(3, 1, 250));

        assertEquals(100L, ids.get(0).join());
        assertEquals(101L, ids.get(1).join());
        assertEquals(250L, ids.get(2).join());
        assertEquals(List.of("ack 1 2 100", "ack 3 1 250"), listener.calls);
    }

    @Test
    void shouldFailOnlyTheRejectedFrameOnFrameLevelError()
    {
        final IngestClient client = connectedClient(0);
        final CompletableFuture<Long> first = client.publish("t", null, HI);
        final CompletableFuture<Long> second = client.publish("bad topic", null, HI);
        final CompletableFuture<Long> third = client.publish("t", null, HI);

        channel.writeInbound(error(2, IngestErrorCode.INVALID_TOPIC, "bad"));
        assertEquals(1, firstSeqStillOpen(client));
        channel.writeInbound(ack(1, 1, 10));
        channel.writeInbound(ack(3, 1, 11));

        assertEquals(10L, first.join());
        final IngestException rejected = causeOf(second);
        assertEquals(IngestErrorCode.INVALID_TOPIC, rejected.code());
        assertEquals(2, rejected.seq());
        assertEquals(11L, third.join());
        assertTrue(channel.isOpen());
        assertEquals(0, client.inFlight());
        assertEquals(List.of("error 2 16 bad", "ack 1 1 10", "ack 3 1 11"), listener.calls);
    }

    @Test
    void shouldFailEveryUnansweredFrameAndCloseOnConnectionLevelError()
    {
        final IngestClient client = connectedClient(0);
        final CompletableFuture<Long> first = client.publish("t", null, HI);
        final CompletableFuture<Long> second = client.publish("t", null, HI);
        channel.writeInbound(ack(1, 1, 10));

        channel.writeInbound(error(0, IngestErrorCode.SHUTTING_DOWN, "bye"));

        assertEquals(10L, first.join());
        assertEquals(IngestErrorCode.SHUTTING_DOWN, causeOf(second).code());
        assertFalse(channel.isOpen());
        assertEquals(IngestClient.CLOSED, client.tryPublish(TOPIC_T, null, HI, 0, HI.length));
        assertEquals(IngestErrorCode.SHUTTING_DOWN, client.closeCode());
        assertEquals(List.of("ack 1 1 10", "error 2 32 bye", "closed 32 bye"), listener.calls);
    }

    @Test
    void shouldReturnBackPressuredWhenWindowIsFull()
    {
        final IngestClient client = connectedClient(2);

        assertEquals(1, client.tryPublish(TOPIC_T, null, HI, 0, HI.length));
        assertEquals(2, client.tryPublish(TOPIC_T, null, HI, 0, HI.length));
        assertEquals(IngestClient.BACK_PRESSURED, client.tryPublish(TOPIC_T, null, HI, 0, HI.length));

        channel.writeInbound(ack(1, 1, 10));

        assertEquals(3, client.tryPublish(TOPIC_T, null, HI, 0, HI.length));
    }

    @Test
    void shouldKeepWindowClosedUntilEarlierFrameIsAnsweredAfterOvertakingError()
    {
        final IngestClient client = connectedClient(2);
        client.tryPublish(TOPIC_T, null, HI, 0, HI.length);
        client.tryPublish(TOPIC_T, null, HI, 0, HI.length);

        channel.writeInbound(error(2, IngestErrorCode.EMPTY_DATA, "empty"));

        assertEquals(2, client.inFlight());
        assertEquals(IngestClient.BACK_PRESSURED, client.tryPublish(TOPIC_T, null, HI, 0, HI.length));
        channel.writeInbound(ack(1, 1, 10));
        assertEquals(0, client.inFlight());
    }

    @Test
    void shouldFailPublishOnEventLoopWhenWindowIsFull()
    {
        final IngestClient client = connectedClient(1);
        client.publish("t", null, HI);

        final CompletableFuture<Long> blocked = client.publish("t", null, HI);

        assertEquals(IngestErrorCode.BACK_PRESSURED, causeOf(blocked).code());
    }

    @Test
    void shouldCloseWithProtocolViolationOnUnknownFrameType()
    {
        final IngestClient client = connectedClient(0);
        final CompletableFuture<Long> pending = client.publish("t", null, HI);

        channel.writeInbound(bytes("00 00 00 01 55"));

        assertEquals(IngestErrorCode.PROTOCOL_VIOLATION, causeOf(pending).code());
        assertFalse(channel.isOpen());
    }

    @Test
    void shouldCloseWithProtocolViolationOnAckForUnpublishedFrame()
    {
        final IngestClient client = connectedClient(0);

        channel.writeInbound(ack(1, 1, 10));

        assertFalse(channel.isOpen());
        assertEquals(IngestErrorCode.PROTOCOL_VIOLATION, client.closeCode());
    }

    @Test
    void shouldDecodeFramesDeliveredOneByteAtATime()
    {
        newClient(0);
        releaseOutbound();
        final byte[] welcome = hexBytes(WELCOME_EXAMPLE);
        final IngestClient client = lastClient;
        for (final byte b : welcome)
        {
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[]{ b }));
        }

        assertTrue(client.handshake().isDone());
        assertEquals(0x00062A1C3E8F9000L, client.epochId());
    }

    @Test
    void shouldFailHandshakeOnAuthError()
    {
        final IngestClient client = newClient(0);

        channel.writeInbound(error(0, IngestErrorCode.AUTH_FAILED, "wrong token"));

        assertEquals(IngestErrorCode.AUTH_FAILED, causeOf(client.handshake()).code());
        assertFalse(channel.isOpen());
    }

    @Test
    void shouldEncodePingAndCompleteOnPong()
    {
        final IngestClient client = connectedClient(0);
        final CompletableFuture<Long> rtt = client.ping();

        assertEquals(hexOf("00 00 00 09 20 00 00 00 00 00 00 00 01"), readOutboundHex());
        channel.writeInbound(bytes("00 00 00 09 21 00 00 00 00 00 00 00 01"));

        assertTrue(rtt.join() >= 0);
    }

    @Test
    void shouldRejectFrameLargerThanMaxFrameBytes()
    {
        final IngestClient client = connectedClient(0);
        final byte[] data = new byte[(int)client.maxFrameBytes()];

        assertThrows(IllegalArgumentException.class, () -> client.tryPublish(TOPIC_T, null, data, 0, data.length));
        assertNull(channel.readOutbound());
    }

    @Test
    void shouldFailUnansweredFramesWithClosedByClient()
    {
        final IngestClient client = connectedClient(0);
        final CompletableFuture<Long> pending = client.publish("t", null, HI);

        client.close(0);

        assertEquals(IngestErrorCode.CLOSED_BY_CLIENT, causeOf(pending).code());
        assertEquals(IngestClient.CLOSED, client.tryPublish(TOPIC_T, null, HI, 0, HI.length));
    }

    private IngestClient newClient(final int maxInFlightCap)
    {
        final IngestClient.Context ctx = new IngestClient.Context().listener(listener).maxInFlight(maxInFlightCap);
        final IngestClient client = new IngestClient(ctx, null);
        client.attach(channel.pipeline());
        client.sendHello();
        lastClient = client;
        return client;
    }

    private IngestClient connectedClient(final int maxInFlightCap)
    {
        final IngestClient client = newClient(maxInFlightCap);
        releaseOutbound();
        channel.writeInbound(bytes(WELCOME_EXAMPLE));
        assertTrue(client.handshake().isDone());
        return client;
    }

    private static long firstSeqStillOpen(final IngestClient client)
    {
        return client.publishedSeq() - client.inFlight() + 1;
    }

    private static IngestException causeOf(final CompletableFuture<?> future)
    {
        final ExecutionException ex = assertThrows(ExecutionException.class, future::get);
        return assertInstanceOf(IngestException.class, ex.getCause());
    }

    private String readOutboundHex()
    {
        channel.runPendingTasks();
        final ByteBuf out = channel.readOutbound();
        try
        {
            return ByteBufUtil.hexDump(out);
        }
        finally
        {
            out.release();
        }
    }

    private void releaseOutbound()
    {
        channel.runPendingTasks();
        for (ByteBuf out = channel.readOutbound(); null != out; out = channel.readOutbound())
        {
            out.release();
        }
    }

    static ByteBuf ack(final long firstSeq, final int count, final long firstId)
    {
        final ByteBuf buf = Unpooled.buffer();
        buf.writeInt(21).writeByte(0x11).writeLong(firstSeq).writeInt(count).writeLong(firstId);
        return buf;
    }

    static ByteBuf error(final long seq, final int code, final String message)
    {
        final byte[] text = message.getBytes(StandardCharsets.UTF_8);
        final ByteBuf buf = Unpooled.buffer();
        buf.writeInt(1 + 12 + text.length).writeByte(0x7F).writeLong(seq).writeShort(code).writeShort(text.length);
        buf.writeBytes(text);
        return buf;
    }

    static ByteBuf bytes(final String hex)
    {
        return Unpooled.wrappedBuffer(hexBytes(hex));
    }

    static byte[] hexBytes(final String hex)
    {
        return ByteBufUtil.decodeHexDump(hex.replace(" ", ""));
    }

    static String hexOf(final String spacedHex)
    {
        return spacedHex.replace(" ", "").toLowerCase();
    }

    static final class RecordingListener implements AckListener
    {
        final List<String> calls = new ArrayList<>();

        public void onAck(final long firstSeq, final int count, final long firstId)
        {
            calls.add("ack " + firstSeq + " " + count + " " + firstId);
        }

        public void onError(final long seq, final int code, final String message)
        {
            calls.add("error " + seq + " " + code + " " + message);
        }

        public void onClosed(final int code, final String message)
        {
            calls.add("closed " + code + " " + message);
        }
    }
}

package io.ssebroker.server.e2e;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import io.ssebroker.metrics.Counter;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.IngestWire;
import io.ssebroker.server.testing.ServingProbe;
import io.ssebroker.server.testing.ServingProbeExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad ingest input, written byte by byte from docs/ingest-protocol.md: connection-level problems get
 * an {@code ERROR} with sequence 0 and the documented code, then the connection closes; per-publish
 * problems get an {@code ERROR} naming the frame and the connection goes on. After each, the broker
 * keeps serving everyone else ({@link ServingProbe}).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class IngestProtocolErrorTest
{
    private static final long FRAME_TIMEOUT_MS = 300;
    private static final long HANDSHAKE_TIMEOUT_MS = 10_000;
    private static final int MAX_DATA_BYTES = 1024;
    private static final int MAX_FRAME_BYTES = MAX_DATA_BYTES + 512;

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.with(config -> config
        .frameTimeoutMs(FRAME_TIMEOUT_MS)
        .handshakeTimeoutMs(HANDSHAKE_TIMEOUT_MS)
        .maxDataBytes(MAX_DATA_BYTES));

    @RegisterExtension
    final ServingProbeExtension probe = new ServingProbeExtension(broker);

    @Test
    void shouldWelcomeWithLimitsAndEpoch() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            assertEquals(new IngestWire.Welcome(1, MAX_FRAME_BYTES, MAX_DATA_BYTES, 4096, broker.epochId()), wire.handshake());
        }
    }

    @Test
    void shouldAnswerPingWithPongCarryingNonce() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.handshake();
            wire.raw(new byte[] {0, 0, 0, 9, IngestWire.PING, 1, 2, 3, 4, 5, 6, 7, 8}).flush();

            final IngestWire.Frame pong = wire.readFrame();
            assertEquals(IngestWire.PONG, pong.type());
            assertEquals("[1, 2, 3, 4, 5, 6, 7, 8]", Arrays.toString(pong.body()));
        }
    }

    @Test
    void shouldFailHandshakeAndCloseWhenFirstFrameIsNotHello() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.publish("t", null, "x".getBytes(StandardCharsets.UTF_8)).flush();

            assertConnectionError(wire, 2);
        }
        probe.assertStillServing();
    }

    @Test
    void shouldFailHandshakeAndCloseWhenFirstBytesAreHttp() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.raw("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII)).flush();

            assertConnectionError(wire, 2);
        }
        probe.assertStillServing();
    }

    @Test
    void shouldFailHandshakeAndCloseWhenMagicIsWrong() throws Exception
    {
        final long before = broker.counters().get(Counter.INGEST_PROTOCOL_ERRORS);
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.hello(0x53534543, 1, "", "").flush();

            assertConnectionError(wire, 2);
        }
        assertEquals(before + 1, broker.counters().get(Counter.INGEST_PROTOCOL_ERRORS));
        probe.assertStillServing();
    }

    @Test
    void shouldFailHandshakeAndCloseWhenHelloFieldLengthsDisagree() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            // HELLO claiming a 5-byte token in a frame with room for none.
            wire.raw(new byte[] {0, 0, 0, 10, IngestWire.HELLO, 0x53, 0x53, 0x45, 0x42, 1, 0, 5, 0, 0}).flush();

            assertConnectionError(wire, 2);
        }
        probe.assertStillServing();
    }

    @Test
    void shouldRejectUnsupportedVersionNamingSupportedOnesAndClose() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.hello(IngestWire.MAGIC, 3, "", "").flush();

            final IngestWire.Error error = wire.readFrame().asError();
            assertEquals(0, error.seq());
            assertEquals(3, error.code(), error.message());
            assertTrue(error.message().contains("1, 2"), "message must name the supported versions: " + error.message());
            assertTrue(wire.awaitClose(), "connection must close after UNSUPPORTED_VERSION");
        }
        probe.assertStillServing();
    }

    @Test
    void shouldRejectFrameLongerThanMaximumAndClose() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.handshake();
            wire.raw(ByteBuffer.allocate(5).putInt(MAX_FRAME_BYTES + 1).put((byte)IngestWire.PUBLISH).array()).flush();

            assertConnectionError(wire, 5);
        }
        probe.assertStillServing();
    }

    @Test
    void shouldRejectZeroLengthFrameAndClose() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.handshake();
            wire.raw(new byte[] {0, 0, 0, 0}).flush();

            assertConnectionError(wire, 1);
        }
        probe.assertStillServing();
    }

    @Test
    void shouldFailHandshakeAtOnceWhenFirstFrameHasLengthZero() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            final long startNs = System.nanoTime();
            // Four bytes and nothing more: no type byte will ever follow.
            wire.raw(new byte[] {0, 0, 0, 0}).flush();

            assertConnectionError(wire, 2);
            final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            assertTrue(elapsedMs < HANDSHAKE_TIMEOUT_MS / 2,
                "answered after " + elapsedMs + " ms: waited for the handshake timeout instead of answering at once");
        }
        probe.assertStillServing();
    }

    @Test
    void shouldAcknowledgeEveryPublishTakenBeforeConnectionError() throws Exception
    {
        final int publishes = 500;
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.handshake();
            // One burst: valid publishes, then a frame that ends the connection.
            for (int i = 0; i < publishes; i++)
            {
                wire.publish("before-error", null, ("event-" + i).getBytes(StandardCharsets.UTF_8));
            }
            wire.raw(new byte[] {0, 0, 0, 0}).flush();

            long acknowledged = 0;
            IngestWire.Frame frame;
            while (IngestWire.ACK == (frame = wire.readFrame()).type())
            {
                final IngestWire.Ack ack = frame.asAck();
                assertEquals(acknowledged + 1, ack.firstSeq(), "ACK runs in order, none skipped: " + ack);
                acknowledged += ack.count();
            }
            assertEquals(publishes, acknowledged, "every publish taken must be acknowledged before the ERROR");
            final IngestWire.Error error = frame.asError();
            assertEquals(0, error.seq(), error.toString());
            assertEquals(1, error.code(), error.message());
            assertTrue(wire.awaitClose(), "connection must close after the ERROR");
        }
        probe.assertStillServing();
    }

    @Test
    void shouldTimeOutFrameLeftIncompleteAndClose() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.handshake();
            final byte[] frame = IngestWire.publishFrame("t", null, "never finished".getBytes(StandardCharsets.UTF_8));
            final long startNs = System.nanoTime();
            wire.raw(Arrays.copyOf(frame, frame.length - 3)).flush();

            assertConnectionError(wire, 6);
            final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            assertTrue(elapsedMs >= FRAME_TIMEOUT_MS, "FRAME_TIMEOUT after only " + elapsedMs + " ms");
        }
        probe.assertStillServing();
    }

    @Test
    void shouldRejectUnknownFrameTypeAndClose() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.handshake();
            wire.raw(new byte[] {0, 0, 0, 3, 0x55, 0, 0}).flush();

            assertConnectionError(wire, 1);
        }
        probe.assertStillServing();
    }

    @Test
    void shouldRejectSecondHelloAndClose() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.handshake();
            wire.hello(IngestWire.MAGIC, 1, "", "").flush();

            assertConnectionError(wire, 1);
        }
        probe.assertStillServing();
    }

    @Test
    void shouldRejectPublishWhoseDataLengthDisagreesWithFrameAndClose() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.handshake();
            final byte[] frame = IngestWire.publishFrame("t", null, "abc".getBytes(StandardCharsets.UTF_8));
            frame[frame.length - 4] = 9;
            wire.raw(frame).flush();

            assertConnectionError(wire, 1);
        }
        probe.assertStillServing();
    }

    @Test
    void shouldRejectPublishToInvalidTopicAndAcknowledgeNextPublish() throws Exception
    {
        final long before = broker.counters().get(Counter.INGEST_REJECTED);

        assertFrameRejectedThenNextAcknowledged(
            IngestWire.publishFrame("bad topic", null, "x".getBytes(StandardCharsets.UTF_8)), 16);

        assertEquals(before + 1, broker.counters().get(Counter.INGEST_REJECTED));
    }

    @Test
    void shouldRejectPublishWithInvalidEventNameAndAcknowledgeNextPublish() throws Exception
    {
        assertFrameRejectedThenNextAcknowledged(
            IngestWire.publishFrame("t", "two words", "x".getBytes(StandardCharsets.UTF_8)), 17);
    }

    @Test
    void shouldRejectPublishWithInvalidUtf8AndAcknowledgeNextPublish() throws Exception
    {
        assertFrameRejectedThenNextAcknowledged(IngestWire.publishFrame("t", null, new byte[] {'a', (byte)0xC3, 0x28}), 18);
    }

    @Test
    void shouldRejectPublishWithDataOverMaximumAndAcknowledgeNextPublish() throws Exception
    {
        assertFrameRejectedThenNextAcknowledged(IngestWire.publishFrame("t", null, new byte[MAX_DATA_BYTES + 1]), 19);
    }

    @Test
    void shouldRejectPublishWithEmptyDataAndAcknowledgeNextPublish() throws Exception
    {
        assertFrameRejectedThenNextAcknowledged(IngestWire.publishFrame("t", null, new byte[0]), 20);
    }

    @Test
    void shouldRejectTopicLengthZeroAsInvalidTopic() throws Exception
    {
        assertFrameRejectedThenNextAcknowledged(IngestWire.publishFrame("", null, "x".getBytes(StandardCharsets.UTF_8)), 16);
    }

    @Test
    void shouldRejectTopicOver128BytesAsInvalidTopic() throws Exception
    {
        assertFrameRejectedThenNextAcknowledged(
            IngestWire.publishFrame("t".repeat(129), null, "x".getBytes(StandardCharsets.UTF_8)), 16);
    }

    @Test
    void shouldRejectEventOver64BytesAsInvalidEvent() throws Exception
    {
        assertFrameRejectedThenNextAcknowledged(
            IngestWire.publishFrame("t", "e".repeat(65), "x".getBytes(StandardCharsets.UTF_8)), 17);
    }

    @Test
    void shouldRejectPublishWhoseTopicLengthExceedsFrameAndClose() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.handshake();
            final byte[] frame = IngestWire.publishFrame("t", null, "abc".getBytes(StandardCharsets.UTF_8));
            frame[5] = (byte)0xFF; // topicLength 0xFF01 in a frame of 15 bytes
            wire.raw(frame).flush();

            assertConnectionError(wire, 1);
        }
        probe.assertStillServing();
    }

    @Test
    void shouldAnswerTopicFirstWhenTopicAndDataAreBothBad() throws Exception
    {
        assertFrameRejectedThenNextAcknowledged(IngestWire.publishFrame("bad topic", "two words", new byte[0]), 16);
    }

    @Test
    void shouldAnswerEventBeforeDataProblems() throws Exception
    {
        assertFrameRejectedThenNextAcknowledged(IngestWire.publishFrame("t", "two words", new byte[] {(byte)0xC3}), 17);
    }

    @Test
    void shouldAnswerDataSizeBeforeUtf8() throws Exception
    {
        final byte[] data = new byte[MAX_DATA_BYTES + 1];
        data[0] = (byte)0xC3;
        assertFrameRejectedThenNextAcknowledged(IngestWire.publishFrame("t", null, data), 19);
    }

    @Test
    void shouldFailHandshakeAtOnceWhenFirstFrameExceedsHelloLimit() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            final long startNs = System.nanoTime();
            // A length over 8,192 and the HELLO type; the body never follows.
            wire.raw(ByteBuffer.allocate(5).putInt(8193).put((byte)IngestWire.HELLO).array()).flush();

            assertConnectionError(wire, 2);
            final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            assertTrue(elapsedMs < HANDSHAKE_TIMEOUT_MS / 2, "answered after " + elapsedMs + " ms instead of at once");
        }
        probe.assertStillServing();
    }

    @Test
    void shouldWelcomeHelloOfExactlyTheLimit() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            // length = 1 + 4 + 1 + 2 + token + 2 + 0 = 8192
            wire.hello(IngestWire.MAGIC, 1, "k".repeat(8192 - 10), "").flush();

            assertEquals(1, wire.readFrame().asWelcome().version(), "a token without auth configured is ignored");
        }
    }

    @Test
    void shouldFailHandshakeWhenNameExceeds255Bytes() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.hello(IngestWire.MAGIC, 1, "", "n".repeat(256)).flush();

            assertConnectionError(wire, 2);
        }
        probe.assertStillServing();
    }

    /**
     * Sends the bad publish as frame 1 and a good one as frame 2: frame 1 gets an ERROR with the code,
     * frame 2 an ACK (in either order, as the protocol allows), and the connection stays open.
     */
    private void assertFrameRejectedThenNextAcknowledged(final byte[] badFrame, final int code) throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.handshake();
            wire.raw(badFrame).publish("after-rejection", null, "fine".getBytes(StandardCharsets.UTF_8)).flush();

            IngestWire.Error error = null;
            IngestWire.Ack ack = null;
            for (int i = 0; i < 2; i++)
            {
                final IngestWire.Frame frame = wire.readFrame();
                if (IngestWire.ERROR == frame.type())
                {
                    error = frame.asError();
                }
                else
                {
                    ack = frame.asAck();
                }
            }
            assertEquals(1, null == error ? -1 : error.seq(), "rejected frame: " + error);
            assertEquals(code, error.code(), error.message());
            assertEquals(2, null == ack ? -1 : ack.firstSeq(), "acknowledged frame: " + ack);
            assertEquals(1, ack.count());
            assertTrue(ack.firstId() >= broker.epochId());

            // Still open: a third publish is acknowledged as frame 3.
            wire.publish("after-rejection", null, "still fine".getBytes(StandardCharsets.UTF_8)).flush();
            final IngestWire.Ack third = wire.readFrame().asAck();
            assertEquals(3, third.firstSeq());
            assertEquals(ack.firstId() + 1, third.firstId());
        }
        probe.assertStillServing();
    }

    private static void assertConnectionError(final IngestWire wire, final int code) throws IOException
    {
        final IngestWire.Error error = wire.readFrame().asError();
        assertEquals(0, error.seq(), "connection-level errors carry sequence 0: " + error);
        assertEquals(code, error.code(), error.message());
        assertTrue(wire.awaitClose(), "connection must close after ERROR " + code);
    }
}

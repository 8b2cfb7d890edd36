package io.ssebroker.server.e2e;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.H2Wire;
import io.ssebroker.server.testing.RawHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A subscription's DATA never exceeds the window the client gave it: with a 64-byte stream window
 * the broker sends what fits and holds the rest, in order, until WINDOW_UPDATE opens the window,
 * then sends every held event exactly once. Checked frame by frame on the wire ({@link H2Wire}),
 * so it holds whichever path a frame took inside the broker (straight to the socket or queued in
 * the flow controller).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Http2FlowControlTest
{
    private static final int SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
    private static final int STREAM_WINDOW_BYTES = 64;
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration QUIET = Duration.ofMillis(500);

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();

    @Test
    void shouldSendNoMoreThanStreamWindowUntilWindowUpdate() throws Exception
    {
        final String topic = "h2-window";
        try (H2Wire wire = H2Wire.connect(broker.httpPort()))
        {
            wire.raw(H2Wire.PREFACE)
                .frame(H2Wire.SETTINGS, 0, 0, ByteBuffer.allocate(6)
                    .putShort((short)SETTINGS_INITIAL_WINDOW_SIZE).putInt(STREAM_WINDOW_BYTES).array())
                .headers(1, H2Wire.END_STREAM | H2Wire.END_HEADERS,
                    H2Wire.requestBlock("GET", "/events?topic=" + topic, "127.0.0.1:" + broker.httpPort()))
                .flush();
            final H2Wire.Frame preamble = wire.await("the preamble",
                frame -> H2Wire.DATA == frame.type() && 1 == frame.streamId(), WAIT);

            final StringBuilder expected = new StringBuilder();
            for (int i = 0; i < 5; i++)
            {
                final String data = "event-" + i + "-0123456789";
                expected.append(publish(topic, data));
            }
            assertTrue(expected.length() > STREAM_WINDOW_BYTES, "the events must not fit the window");

            // Only what fits the window arrives, however long we wait.
            final StringBuilder received = new StringBuilder(takeUntilQuiet(wire));
            final int sent = preamble.payload().length + received.length();
            assertTrue(sent <= STREAM_WINDOW_BYTES, "sent " + sent + " bytes on a " + STREAM_WINDOW_BYTES +
                "-byte window: " + wire.summary());
            assertTrue(expected.toString().startsWith(received.toString()), received.toString());
            assertTrue(received.length() < expected.length(), "everything arrived without a WINDOW_UPDATE");

            // Open the window: the rest follows, once and in order.
            wire.frame(H2Wire.WINDOW_UPDATE, 0, 1, ByteBuffer.allocate(4).putInt(64 * 1024).array()).flush();
            takeUntil(wire, received, expected.length());
            assertEquals(expected.toString(), received.toString());
        }
    }

    @Test
    void shouldHoldEventsWhileConnectionWindowIsClosed() throws Exception
    {
        final String topic = "h2-connection-window";
        try (H2Wire wire = H2Wire.connect(broker.httpPort()))
        {
            // The connection window starts at 65,535 bytes: events of 16 KiB use it up in four.
            wire.preface()
                .headers(1, H2Wire.END_STREAM | H2Wire.END_HEADERS,
                    H2Wire.requestBlock("GET", "/events?topic=" + topic, "127.0.0.1:" + broker.httpPort()))
                .flush();
            final H2Wire.Frame preamble = wire.await("the preamble",
                frame -> H2Wire.DATA == frame.type() && 1 == frame.streamId(), WAIT);
            final String data = "x".repeat(16_000);
            final StringBuilder expected = new StringBuilder();
            for (int i = 0; i < 6; i++)
            {
                expected.append(publish(topic, data));
            }
            final StringBuilder received = new StringBuilder(takeUntilQuiet(wire));
            final int sent = preamble.payload().length + received.length();
            assertTrue(sent <= 65_535, "sent " + sent + " bytes on a 65,535-byte connection window");
            assertTrue(received.length() < expected.length(), "everything arrived without a WINDOW_UPDATE");

            // Stream and connection windows both open: the rest follows, once and in order.
            final byte[] increment = ByteBuffer.allocate(4).putInt(1 << 20).array();
            wire.frame(H2Wire.WINDOW_UPDATE, 0, 0, increment).frame(H2Wire.WINDOW_UPDATE, 0, 1, increment).flush();
            takeUntil(wire, received, expected.length());
            assertEquals(expected.toString(), received.toString());
        }
    }

    @Test
    void shouldCarryReplayInFewerDataFramesThanEvents() throws Exception
    {
        final String topic = "h2-replay-frames";
        final int events = 20;
        final long firstId = RawHttp.publish(broker.httpPort(), topic, "replayed-0");
        final StringBuilder expected = new StringBuilder("retry: 3000\n: ok\n\n");
        for (int i = 1; i < events; i++)
        {
            expected.append(publish(topic, "replayed-" + i));
        }
        try (H2Wire wire = H2Wire.connect(broker.httpPort()))
        {
            // Resume after the first event: the other 19 are replayed as the stream opens.
            wire.preface()
                .headers(1, H2Wire.END_STREAM | H2Wire.END_HEADERS, H2Wire.requestBlock("GET",
                    "/events?topic=" + topic + "&lastEventId=" + firstId, "127.0.0.1:" + broker.httpPort()))
                .flush();
            final StringBuilder received = new StringBuilder();
            int frames = 0;
            while (received.length() < expected.length())
            {
                received.append(wire.await("the replay", f -> H2Wire.DATA == f.type() && 1 == f.streamId(), WAIT).text());
                frames++;
            }
            assertEquals(expected.toString(), received.toString());
            assertTrue(frames < events / 2, "the preamble and " + (events - 1) + " replayed events came in " + frames +
                " DATA frames: " + wire.summary());
        }
    }

    /**
     * @return the event as the stream carries it.
     */
    private static String publish(final String topic, final String data) throws java.io.IOException
    {
        return "id: " + RawHttp.publish(broker.httpPort(), topic, data) + "\ndata: " + data + "\n\n";
    }

    /**
     * @return the text of the DATA frames on stream 1 until none comes for {@link #QUIET}.
     */
    private static String takeUntilQuiet(final H2Wire wire) throws InterruptedException
    {
        final StringBuilder text = new StringBuilder();
        H2Wire.Frame frame;
        while (null != (frame = wire.next(QUIET)))
        {
            if (H2Wire.DATA == frame.type() && 1 == frame.streamId())
            {
                text.append(frame.text());
            }
        }
        return text.toString();
    }

    /**
     * Appends the text of stream 1's DATA frames until {@code received} holds {@code length} characters.
     */
    private static void takeUntil(final H2Wire wire, final StringBuilder received, final int length)
        throws InterruptedException
    {
        while (received.length() < length)
        {
            received.append(wire.await("the held events", f -> H2Wire.DATA == f.type() && 1 == f.streamId(), WAIT).text());
        }
    }
}

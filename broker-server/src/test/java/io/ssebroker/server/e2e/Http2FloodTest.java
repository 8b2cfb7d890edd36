package io.ssebroker.server.e2e;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import io.netty.handler.codec.http2.Http2Error;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.H2Wire;
import io.ssebroker.server.testing.H2cWitness;
import io.ssebroker.server.testing.RawHttp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The known HTTP/2 floods, sent as raw frames ({@link H2Wire}): each ends the attacking connection
 * with GOAWAY {@code ENHANCE_YOUR_CALM} and a close, is counted by its GOAWAY code, and costs nobody
 * else: an HTTP/2 subscriber on another connection ({@link H2cWitness}) receives every event
 * published during and after the attack. A client that stays within a limit keeps its connection.
 * <p>
 * The limits are those set in {@code Http2BrokerHandler.Builder}: 200 RST_STREAM per 30 s (rapid
 * reset, CVE-2023-44487), 16 small CONTINUATION fragments per header block (the 2024 CONTINUATION
 * flood), 2 consecutive empty DATA frames. Every attack loop is bounded in frames and stops at the
 * GOAWAY; every wait has a deadline.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Http2FloodTest
{
    private static final int MAX_RST_FRAMES = 200;
    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();

    private H2cWitness witness;

    @BeforeEach
    void openWitness() throws InterruptedException
    {
        witness = H2cWitness.open(broker.httpPort());
    }

    @AfterEach
    void closeWitness()
    {
        witness.close();
    }

    @Test
    void shouldSendGoAwayEnhanceYourCalmWhenClientResetsStreamsRapidly() throws Exception
    {
        final Counts before = Counts.now();
        final byte[] subscribe = H2Wire.requestBlock("GET", "/events?topic=h2-rapid-reset", authority());
        int pairs = 0;
        try (H2Wire wire = H2Wire.connect(broker.httpPort()))
        {
            wire.preface();
            // Open a subscription and cancel it at once, again and again: the server does the work of
            // each stream, the client pays nothing and the streams never count as concurrent.
            while (pairs < 1000 && !wire.goAwayArrived())
            {
                final int streamId = 2 * pairs + 1;
                if (!sendTolerant(wire, w -> w.headers(streamId, H2Wire.END_STREAM | H2Wire.END_HEADERS, subscribe)
                    .rstStream(streamId, H2Wire.CANCEL).flush()))
                {
                    break;
                }
                pairs++;
                if (0 == pairs % 100)
                {
                    witness.publish("during-rapid-reset-" + pairs);
                }
            }

            final H2Wire.Frame goAway = wire.awaitGoAway(WAIT);
            assertEquals(Http2Error.ENHANCE_YOUR_CALM.code(), goAway.errorCode(), goAway.toString());
            assertTrue(goAway.debugData().contains("RST frames"), goAway.toString());
            assertTrue(pairs > MAX_RST_FRAMES, "GOAWAY after only " + pairs + " resets: " + goAway);
            wire.awaitEnd(frame -> H2Wire.GOAWAY != frame.type(), WAIT);
        }
        before.assertOneGoAway(Counter.HTTP2_GOAWAY_ENHANCE_YOUR_CALM);
        witness.assertStillServing("after-rapid-reset");
    }

    @Test
    void shouldKeepConnectionThatResetsNoMoreStreamsThanTheLimit() throws Exception
    {
        final Counts before = Counts.now();
        final byte[] subscribe = H2Wire.requestBlock("GET", "/events?topic=h2-few-resets", authority());
        try (H2Wire wire = H2Wire.connect(broker.httpPort()))
        {
            wire.preface();
            for (int i = 0; i < MAX_RST_FRAMES; i++)
            {
                final int streamId = 2 * i + 1;
                wire.headers(streamId, H2Wire.END_STREAM | H2Wire.END_HEADERS, subscribe).rstStream(streamId, H2Wire.CANCEL);
            }
            wire.flush();

            // The next subscription on the same connection is served like any other.
            final int streamId = 2 * MAX_RST_FRAMES + 1;
            wire.headers(streamId, H2Wire.END_STREAM | H2Wire.END_HEADERS, subscribe).flush();
            final H2Wire.Frame preamble = wire.await("the preamble on stream " + streamId,
                frame -> H2Wire.DATA == frame.type() && streamId == frame.streamId(), WAIT);
            assertEquals("retry: 3000\n: ok\n\n", preamble.text());
            final long id = RawHttp.publish(broker.httpPort(), "h2-few-resets", "still here");
            final H2Wire.Frame event = wire.await("the event on stream " + streamId,
                frame -> H2Wire.DATA == frame.type() && streamId == frame.streamId() || H2Wire.GOAWAY == frame.type(), WAIT);
            assertEquals("id: " + id + "\ndata: still here\n\n", event.text(), event.toString());
            assertTrue(!wire.goAwayArrived(), "no GOAWAY within the limit: " + wire.summary());
        }
        before.assertNoGoAway();
        witness.assertStillServing("after-few-resets");
    }

    @Test
    void shouldSendGoAwayEnhanceYourCalmWhenHeaderBlockComesInSmallContinuationFrames() throws Exception
    {
        final Counts before = Counts.now();
        // A legitimate header block with one long header, cut into 8-byte fragments: about 1000 frames
        // of which the broker may accept only 16 before the block ends.
        final byte[] block = H2Wire.requestBlock("GET", "/events?topic=h2-continuation", authority(),
            "x-padding", "p".repeat(8000));
        final int fragmentBytes = 8;
        int sent = 0;
        try (H2Wire wire = H2Wire.connect(broker.httpPort()))
        {
            wire.preface();
            wire.headers(1, H2Wire.END_STREAM, Arrays.copyOfRange(block, 0, fragmentBytes)).flush();
            for (int offset = fragmentBytes; offset < block.length && !wire.goAwayArrived(); offset += fragmentBytes)
            {
                final int end = Math.min(block.length, offset + fragmentBytes);
                final byte[] fragment = Arrays.copyOfRange(block, offset, end);
                final int flags = end == block.length ? H2Wire.END_HEADERS : 0;
                if (!sendTolerant(wire, w -> w.continuation(1, flags, fragment).flush()))
                {
                    break;
                }
                if (0 == ++sent % 10)
                {
                    witness.publish("during-continuation-" + sent);
                }
            }

            final H2Wire.Frame goAway = wire.awaitGoAway(WAIT);
            // Netty's DefaultHttp2FrameReader answers the 16th small fragment with ENHANCE_YOUR_CALM.
            assertEquals(Http2Error.ENHANCE_YOUR_CALM.code(), goAway.errorCode(), goAway.toString());
            assertTrue(goAway.debugData().contains("continuation"), goAway.toString());
            assertTrue(sent < block.length / fragmentBytes - 1, "the whole block was taken: " + goAway);
            wire.awaitEnd(frame -> H2Wire.GOAWAY != frame.type(), WAIT);
        }
        before.assertOneGoAway(Counter.HTTP2_GOAWAY_ENHANCE_YOUR_CALM);
        witness.assertStillServing("after-continuation-flood");
    }

    @Test
    void shouldSendGoAwayEnhanceYourCalmWhenBodyComesAsEmptyDataFrames() throws Exception
    {
        final Counts before = Counts.now();
        final byte[] publish = H2Wire.requestBlock("POST", "/publish?topic=h2-empty-data", authority(),
            "content-type", "text/plain");
        try (H2Wire wire = H2Wire.connect(broker.httpPort()))
        {
            wire.preface();
            wire.headers(1, H2Wire.END_HEADERS, publish).flush();
            for (int i = 0; i < 100 && !wire.goAwayArrived(); i++)
            {
                if (!sendTolerant(wire, w -> w.data(1, 0, new byte[0]).flush()))
                {
                    break;
                }
            }
            witness.publish("during-empty-data");

            final H2Wire.Frame goAway = wire.awaitGoAway(WAIT);
            assertEquals(Http2Error.ENHANCE_YOUR_CALM.code(), goAway.errorCode(), goAway.toString());
            assertTrue(goAway.debugData().contains("empty data frames"), goAway.toString());
            wire.awaitEnd(frame -> H2Wire.GOAWAY != frame.type(), WAIT);
        }
        before.assertOneGoAway(Counter.HTTP2_GOAWAY_ENHANCE_YOUR_CALM);
        witness.assertStillServing("after-empty-data");
    }

    private static String authority()
    {
        return "127.0.0.1:" + broker.httpPort();
    }

    /**
     * Writes, and reports a failed write instead of throwing: the broker closes the attacking
     * connection while frames are still on their way, and its GOAWAY is then already in our buffer.
     *
     * @return false when the connection is gone.
     */
    private static boolean sendTolerant(final H2Wire wire, final WireWrite write)
    {
        try
        {
            write.apply(wire);
            return true;
        }
        catch (final IOException closed)
        {
            return false;
        }
    }

    @FunctionalInterface
    private interface WireWrite
    {
        void apply(H2Wire wire) throws IOException;
    }

    /** The GOAWAY counters before an attack. */
    private record Counts(long enhanceYourCalm, long protocolError, long otherError)
    {
        static Counts now()
        {
            return new Counts(broker.counters().get(Counter.HTTP2_GOAWAY_ENHANCE_YOUR_CALM),
                broker.counters().get(Counter.HTTP2_GOAWAY_PROTOCOL_ERROR),
                broker.counters().get(Counter.HTTP2_GOAWAY_OTHER_ERROR));
        }

        void assertOneGoAway(final Counter counter)
        {
            final Counts after = now();
            assertEquals(enhanceYourCalm + (Counter.HTTP2_GOAWAY_ENHANCE_YOUR_CALM == counter ? 1 : 0),
                after.enhanceYourCalm, "GOAWAY ENHANCE_YOUR_CALM counted");
            assertEquals(protocolError + (Counter.HTTP2_GOAWAY_PROTOCOL_ERROR == counter ? 1 : 0),
                after.protocolError, "GOAWAY PROTOCOL_ERROR counted");
            assertEquals(otherError, after.otherError, "other GOAWAY errors counted");
        }

        void assertNoGoAway()
        {
            assertEquals(this, now(), "no connection error counted");
        }
    }
}

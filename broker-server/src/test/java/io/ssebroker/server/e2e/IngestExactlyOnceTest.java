package io.ssebroker.server.e2e;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.IngestWire;
import io.ssebroker.server.testing.RawHttp;
import io.ssebroker.server.testing.SseEvent;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ingest protocol version 2, written byte by byte from docs/ingest-protocol.md: a publisher that
 * names itself and numbers its publishes can resend after a reconnect; the broker takes each
 * publisher sequence once and answers a resend with the id the first copy got.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class IngestExactlyOnceTest
{
    private static final int DEDUP_WINDOW_EVENTS = 8192;
    private static final long DEDUP_WINDOW_MS = 60_000;

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.with(config -> config
        .dedupWindowEvents(DEDUP_WINDOW_EVENTS).dedupWindowMs(DEDUP_WINDOW_MS).dedupMaxPublishers(16));

    @Test
    void shouldWelcomeVersion2WithHighestSequenceZeroForNewPublisherAndTheWindow() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            final IngestWire.WelcomeV2 welcome = wire.handshakeV2("fresh-publisher");

            assertEquals(2, welcome.version());
            assertEquals(broker.epochId(), welcome.epochId());
            assertEquals(0, welcome.lastPublisherSeq());
            assertEquals(DEDUP_WINDOW_EVENTS, welcome.dedupWindowEvents());
            assertEquals(DEDUP_WINDOW_MS, welcome.dedupWindowMs());
        }
    }

    @Test
    void shouldAnswerTheDocumentsVersion2ExampleBytes() throws Exception
    {
        // docs/ingest-protocol.md, "Example", version 2: byte for byte.
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.raw(bytes("00 00 00 0D 01 53 53 45 42 02 00 00 00 00 02 70 31"))
                .raw(bytes("00 00 00 13 10 00 00 00 00 00 00 00 01 00 01 74 00 00 00 00 02 68 69"))
                .flush();

            final IngestWire.WelcomeV2 welcome = wire.readFrame().asWelcomeV2();
            assertEquals(2, welcome.version());
            assertEquals(0, welcome.lastPublisherSeq());
            final IngestWire.Ack ack = wire.readFrame().asAck();
            assertEquals(1, ack.firstSeq());
            assertEquals(1, ack.count());
        }
    }

    private static byte[] bytes(final String hex)
    {
        final String[] parts = hex.split(" ");
        final byte[] out = new byte[parts.length];
        for (int i = 0; i < parts.length; i++)
        {
            out[i] = (byte)Integer.parseInt(parts[i], 16);
        }
        return out;
    }

    @Test
    void shouldAnswerResendOnNewConnectionWithOriginalIdsAndDeliverOnce() throws Exception
    {
        final String topic = "v2-resend";
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=" + topic))
        {
            final Map<Long, Long> firstIds = new HashMap<>();
            try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
            {
                wire.handshakeV2("resender");
                for (long seq = 1; seq <= 3; seq++)
                {
                    wire.publishV2(seq, topic, null, data(seq));
                }
                wire.flush();
                collectIds(wire, 3, firstIds);
            }

            try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
            {
                final IngestWire.WelcomeV2 welcome = wire.handshakeV2("resender");
                assertEquals(3, welcome.lastPublisherSeq(), "the broker reports the highest sequence it took");

                // Resend 2 and 3 as if their ACKs were lost, then go on with 4.
                wire.publishV2(2, topic, null, data(2))
                    .publishV2(3, topic, null, data(3))
                    .publishV2(4, topic, null, data(4))
                    .flush();
                final Map<Long, Long> secondIds = new HashMap<>();
                collectIds(wire, 3, secondIds);
                assertEquals(firstIds.get(2L), secondIds.get(1L), "resent sequence 2 answered with its first id");
                assertEquals(firstIds.get(3L), secondIds.get(2L), "resent sequence 3 answered with its first id");
                assertTrue(secondIds.get(3L) > firstIds.get(3L), "sequence 4 is new: " + secondIds);
            }

            for (long seq = 1; seq <= 4; seq++)
            {
                final SseEvent event = stream.nextEvent();
                assertEquals(new String(data(seq), StandardCharsets.UTF_8), event.data(),
                    "each publisher sequence reaches the subscriber once, in order");
            }
            // A marker published after the resends comes next: no duplicate was delivered in between.
            final long marker = RawHttp.publish(broker.httpPort(), topic, "marker");
            final SseEvent next = stream.nextEvent();
            assertEquals("marker", next.data());
            assertEquals(marker, next.idAsLong());
        }
    }

    @Test
    void shouldTakeEachSequenceOnceWhenTwoConnectionsOfOnePublisherRace() throws Exception
    {
        final String topic = "v2-race";
        final int events = 2000;
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=" + topic);
             IngestWire first = IngestWire.connect(broker.ingestPort());
             IngestWire second = IngestWire.connect(broker.ingestPort()))
        {
            first.handshakeV2("racer");
            second.handshakeV2("racer");
            final CountDownLatch go = new CountDownLatch(1);
            final List<Thread> writers = new ArrayList<>();
            final List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            for (final IngestWire wire : List.of(first, second))
            {
                final Thread writer = new Thread(() ->
                {
                    try
                    {
                        go.await();
                        for (long seq = 1; seq <= events; seq++)
                        {
                            wire.publishV2(seq, topic, null, data(seq));
                        }
                        wire.flush();
                    }
                    catch (final Exception ex)
                    {
                        failures.add(ex);
                    }
                });
                writer.start();
                writers.add(writer);
            }
            go.countDown();

            final Map<Long, Long> idsFirst = new HashMap<>();
            final Map<Long, Long> idsSecond = new HashMap<>();
            collectIds(first, events, idsFirst);
            collectIds(second, events, idsSecond);
            for (final Thread writer : writers)
            {
                writer.join();
            }
            assertEquals(List.of(), failures);
            for (long seq = 1; seq <= events; seq++)
            {
                assertEquals(idsFirst.get(seq), idsSecond.get(seq),
                    "both copies of sequence " + seq + " are answered with the one id it was taken with");
            }

            for (long seq = 1; seq <= events; seq++)
            {
                final SseEvent event = stream.nextEvent();
                assertEquals(new String(data(seq), StandardCharsets.UTF_8), event.data());
                assertEquals((long)idsFirst.get(seq), event.idAsLong());
            }
            final long marker = RawHttp.publish(broker.httpPort(), topic, "marker");
            assertEquals(marker, stream.nextEvent().idAsLong(), "no second copy of any sequence was delivered");
        }
    }

    @Test
    void shouldRejectSequenceThatDoesNotIncreaseAndGoOn() throws Exception
    {
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.handshakeV2("strict");
            wire.publishV2(5, "v2-strict", null, data(5))
                .publishV2(5, "v2-strict", null, data(5))
                .publishV2(4, "v2-strict", null, data(4))
                .publishV2(6, "v2-strict", null, data(6))
                .flush();

            final List<IngestWire.Error> errors = new ArrayList<>();
            long acknowledged = 0;
            while (acknowledged < 2 || errors.size() < 2)
            {
                final IngestWire.Frame frame = wire.readFrame();
                if (IngestWire.ERROR == frame.type())
                {
                    errors.add(frame.asError());
                }
                else
                {
                    acknowledged += frame.asAck().count();
                }
            }
            assertEquals(2, errors.get(0).seq(), errors.toString());
            assertEquals(21, errors.get(0).code(), errors.toString());
            assertEquals(3, errors.get(1).seq(), errors.toString());
            assertEquals(21, errors.get(1).code(), errors.toString());
        }
    }

    @Test
    void shouldRejectSequenceWithoutPublisherIdAndTakeSequenceZeroWithoutDeduplication() throws Exception
    {
        final String topic = "v2-anonymous";
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=" + topic);
             IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            wire.handshakeV2("");
            wire.publishV2(1, topic, null, data(1))
                .publishV2(0, topic, null, data(7))
                .publishV2(0, topic, null, data(7))
                .flush();

            IngestWire.Error error = null;
            long acknowledged = 0;
            while (null == error || acknowledged < 2)
            {
                final IngestWire.Frame frame = wire.readFrame();
                if (IngestWire.ERROR == frame.type())
                {
                    error = frame.asError();
                }
                else
                {
                    acknowledged += frame.asAck().count();
                }
            }
            assertEquals(1, error.seq());
            assertEquals(21, error.code(), error.message());
            assertEquals("payload-7", stream.nextEvent().data());
            assertEquals("payload-7", stream.nextEvent().data(), "sequence 0 opts out of deduplication");
        }
    }

    private static byte[] data(final long seq)
    {
        return ("payload-" + seq).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads ACKs until {@code frames} publish frames are covered, recording frame number to id;
     * fails on any ERROR.
     */
    private static void collectIds(final IngestWire wire, final int frames, final Map<Long, Long> ids) throws Exception
    {
        while (ids.size() < frames)
        {
            final IngestWire.Ack ack = wire.readFrame().asAck();
            for (long k = 0; k < ack.count(); k++)
            {
                ids.put(ack.firstSeq() + k, ack.firstId() + k);
            }
        }
        assertEquals(frames, ids.size(), "one answer per frame, no ACK beyond the frames sent: " + ids);
    }
}

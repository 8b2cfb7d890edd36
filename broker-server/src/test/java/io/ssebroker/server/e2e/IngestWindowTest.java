package io.ssebroker.server.e2e;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.IngestWire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rejected frames and PINGs against a tiny in-flight window (docs/ingest-protocol.md, "Numbering and
 * the window"): one burst mixing valid publishes, rejected ones and PINGs is answered completely,
 * every publish frame exactly once, and no ACK run covers a rejected frame's number.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class IngestWindowTest
{
    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.with(config -> config.maxInFlight(8));

    @Test
    void shouldAnswerEveryFrameOnceAndNeverAcknowledgeAcrossARejectedFrame() throws Exception
    {
        final int rounds = 200;
        final Set<Long> rejectedExpected = new HashSet<>();
        int pings = 0;
        try (IngestWire wire = IngestWire.connect(broker.ingestPort()))
        {
            assertEquals(8, wire.handshake().maxInFlight());
            long frame = 0;
            for (int round = 0; round < rounds; round++)
            {
                wire.publish("window", null, ("a" + round).getBytes(StandardCharsets.UTF_8));
                frame++;
                if (round % 3 == 0)
                {
                    wire.publish("bad topic", null, "x".getBytes(StandardCharsets.UTF_8));
                    rejectedExpected.add(++frame);
                }
                if (round % 4 == 0)
                {
                    wire.raw(new byte[] {0, 0, 0, 9, IngestWire.PING, 0, 0, 0, 0, 0, 0, 0, (byte)round});
                    pings++;
                }
                wire.publish("window", null, ("b" + round).getBytes(StandardCharsets.UTF_8));
                frame++;
            }
            wire.flush();
            final long frames = frame;

            final Set<Long> answered = new HashSet<>();
            final Set<Long> rejected = new HashSet<>();
            int pongs = 0;
            while (answered.size() < frames || pongs < pings)
            {
                final IngestWire.Frame reply = wire.readFrame();
                if (IngestWire.PONG == reply.type())
                {
                    pongs++;
                }
                else if (IngestWire.ERROR == reply.type())
                {
                    final IngestWire.Error error = reply.asError();
                    assertEquals(16, error.code(), error.toString());
                    assertTrue(answered.add(error.seq()), "frame " + error.seq() + " answered twice");
                    rejected.add(error.seq());
                }
                else
                {
                    final IngestWire.Ack ack = reply.asAck();
                    for (long s = ack.firstSeq(); s < ack.firstSeq() + ack.count(); s++)
                    {
                        assertFalse(rejectedExpected.contains(s), "ACK " + ack + " spans rejected frame " + s);
                        assertTrue(answered.add(s), "frame " + s + " answered twice");
                    }
                }
            }
            assertEquals(rejectedExpected, rejected);
            assertEquals(pings, pongs);
            assertEquals(frames, answered.size());
        }
    }
}

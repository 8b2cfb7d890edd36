package io.ssebroker.log;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.ssebroker.ingest.IngestRing;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When the sequencer parks and whether producers may wake it, with and without a flush linger: every park is
 * recorded with its length and with the flag producers read.
 */
class SequencerIdleStrategyTest
{
    private static final long PARK_NS = 100_000_000L;
    private static final long LINGER_NS = 500_000L;

    private final IngestRing ring = new IngestRing(1 << 16);
    private final List<Park> parks = new ArrayList<>();
    private final LogInput input = new IdleInput();

    private record Park(long ns, boolean producersWake)
    {
    }

    private SequencerIdleStrategy strategy(final long lingerNs)
    {
        return new SequencerIdleStrategy(ring, input, PARK_NS, lingerNs,
            (blocker, ns) -> parks.add(new Park(ns, ring.isSleeping())));
    }

    @Test
    void shouldSpinThenYieldThenParkUntilSignalledWithoutLinger()
    {
        final SequencerIdleStrategy idle = strategy(0);
        idle.idle(1);
        assertEquals(List.of(), parks, "no linger: a batch is followed by the next look at once");

        final int beforePark = SequencerIdleStrategy.SPINS + SequencerIdleStrategy.YIELDS;
        for (int i = 0; i < beforePark; i++)
        {
            idle.idle(0);
        }
        assertEquals(List.of(), parks, "spins and yields first");
        idle.idle(0);
        assertEquals(List.of(new Park(PARK_NS, true)), parks, "then a park that producers cut short");
        assertFalse(ring.isSleeping(), "awake again after the park");
    }

    @Test
    void shouldLingerAfterABatchThatEmptiedTheRingWithoutBeingWokenByProducers()
    {
        final SequencerIdleStrategy idle = strategy(LINGER_NS);
        idle.idle(3);
        assertEquals(List.of(new Park(LINGER_NS, false)), parks);

        idle.idle(2);
        assertEquals(List.of(new Park(LINGER_NS, false), new Park(LINGER_NS, false)), parks,
            "work came during the linger: linger again");
    }

    @Test
    void shouldParkUntilSignalledAtOnceWhenALingerFoundNothing()
    {
        final SequencerIdleStrategy idle = strategy(LINGER_NS);
        idle.idle(1);
        parks.clear();

        idle.idle(0);
        assertEquals(List.of(new Park(PARK_NS, true)), parks,
            "a quiet spell: no spinning or yielding, and the next event wakes the sequencer at once");
    }

    @Test
    void shouldNotLingerWhileTheRingStillHoldsMessages()
    {
        final SequencerIdleStrategy idle = strategy(LINGER_NS);
        final ByteBuf data = Unpooled.copiedBuffer(new byte[] {'x'});
        try
        {
            assertTrue(ring.newProducer().offer(1, 1, 0, data, 0, 0, 0, 1));
        }
        finally
        {
            data.release();
        }
        idle.idle(4096);
        assertEquals(List.of(), parks, "a batch cut short by the batch limit: the next one follows at once");
    }

    @Test
    void shouldSpinAgainAfterWorkThatFollowedASignalledPark()
    {
        final SequencerIdleStrategy idle = strategy(0);
        final int beforePark = SequencerIdleStrategy.SPINS + SequencerIdleStrategy.YIELDS;
        for (int i = 0; i <= beforePark; i++)
        {
            idle.idle(0);
        }
        idle.idle(1);
        parks.clear();
        for (int i = 0; i < beforePark; i++)
        {
            idle.idle(0);
        }
        assertEquals(List.of(), parks);
    }

    @Test
    void shouldRejectANegativeLinger()
    {
        assertThrows(IllegalArgumentException.class, () -> strategy(-1));
    }

    /** An input with nothing of its own pending. */
    private static final class IdleInput implements LogInput
    {
        @Override
        public int doWork()
        {
            return 0;
        }

        @Override
        public void drain()
        {
        }

        @Override
        public void close()
        {
        }

        @Override
        public String roleName()
        {
            return "idle-input";
        }
    }
}

package io.ssebroker.loadgen;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DropPolicyTest
{
    private static final long FROM_NS = 1_000_000_000L;
    private static final long TO_NS = 61_000_000_000L;

    @Test
    void shouldDrawTheSameSortedMomentsInsideThePeriodForTheSameSubscriberInEveryProcess()
    {
        final long[] times = new DropPolicy(5, DropPolicy.Mode.RANDOM, 7, FROM_NS, TO_NS, TO_NS).timesFor(42);
        final long[] again = new DropPolicy(5, DropPolicy.Mode.RANDOM, 7, FROM_NS, TO_NS, TO_NS).timesFor(42);

        assertArrayEquals(times, again);
        assertEquals(5, times.length);
        final long[] sorted = times.clone();
        Arrays.sort(sorted);
        assertArrayEquals(sorted, times);
        for (final long t : times)
        {
            assertTrue(t >= FROM_NS && t < TO_NS, Long.toString(t));
        }
    }

    @Test
    void shouldDrawOtherMomentsForOtherSubscribersAndSeeds()
    {
        final DropPolicy policy = new DropPolicy(5, DropPolicy.Mode.RANDOM, 7, FROM_NS, TO_NS, TO_NS);

        assertFalse(Arrays.equals(policy.timesFor(1), policy.timesFor(2)));
        assertFalse(Arrays.equals(policy.timesFor(1), new DropPolicy(5, DropPolicy.Mode.RANDOM, 8, FROM_NS, TO_NS, TO_NS).timesFor(1)));
    }

    @Test
    void shouldDropEverySubscriberAtTheSameEvenlySpacedInstantsInBurstMode()
    {
        final DropPolicy policy = new DropPolicy(5, DropPolicy.Mode.BURST, 7, FROM_NS, TO_NS, TO_NS);

        // 60 s cut into six: a wave every 10 s, none at either end.
        final long[] waves = {11_000_000_000L, 21_000_000_000L, 31_000_000_000L, 41_000_000_000L, 51_000_000_000L};
        assertArrayEquals(waves, policy.timesFor(0));
        assertArrayEquals(waves, policy.timesFor(9_999));
    }

    @Test
    void shouldPlanNothingWithoutDrops()
    {
        assertEquals(0, DropPolicy.NONE.timesFor(3).length);
    }

    @Test
    void shouldRejectUnknownModeByName()
    {
        assertEquals(DropPolicy.Mode.BURST, DropPolicy.Mode.parse("burst"));
        assertThrows(IllegalArgumentException.class, () -> DropPolicy.Mode.parse("all"));
    }
}

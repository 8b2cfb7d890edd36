package io.ssebroker.loadgen;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SequenceUnionTest
{
    @Test
    void shouldBeCompleteWhenEverySequenceArrivedInAnyOrder()
    {
        final SequenceUnion union = new SequenceUnion(130);
        for (long seq = 130; seq >= 2; seq--)
        {
            assertFalse(union.record(seq));
        }

        assertTrue(union.record(1), "the last missing sequence completes it");
        assertEquals(0, union.missing());
        assertEquals(0, union.firstMissing());
        assertEquals(0, union.duplicates());
    }

    @Test
    void shouldCountMissingDuplicateAndUnplannedSequences()
    {
        final SequenceUnion union = new SequenceUnion(100);
        for (long seq = 1; seq <= 100; seq++)
        {
            if (64 != seq && 65 != seq)
            {
                union.record(seq);
            }
        }
        union.record(7);
        union.record(0);
        union.record(101);

        assertEquals(2, union.missing());
        assertEquals(64, union.firstMissing());
        assertEquals(1, union.duplicates());
        assertEquals(2, union.outside());
    }

    @Test
    void shouldMissEverythingWhenNothingArrived()
    {
        final SequenceUnion union = new SequenceUnion(5);

        assertEquals(5, union.missing());
        assertEquals(1, union.firstMissing());
    }
}

package io.ssebroker.loadgen;

/**
 * The union of the per-topic sequences one subscriber received over all its connections, for the exact delivery
 * check: it must be exactly {@code 1..lastSeq}, each once, where {@code lastSeq} is the topic's last planned
 * sequence. One bit per sequence, so the check holds whatever order events arrive in.
 * <p>
 * <b>Threading:</b> confined to the event loop of the subscriber's connection.
 */
final class SequenceUnion
{
    private final long lastSeq;
    private final long[] bits;
    private long distinct;
    private long duplicates;
    private long outside;

    /**
     * @param lastSeq highest sequence expected; 0 when nothing is.
     */
    SequenceUnion(final long lastSeq)
    {
        this.lastSeq = lastSeq;
        this.bits = new long[(int)((lastSeq >>> 6) + 1)];
    }

    /**
     * @param seq a received per-topic sequence.
     * @return true when this receipt completed the union: every sequence of {@code 1..lastSeq} is now in it.
     */
    boolean record(final long seq)
    {
        if (seq < 1 || seq > lastSeq)
        {
            outside++;
            return false;
        }
        final int word = (int)(seq >>> 6);
        final long mask = 1L << seq;   // shift distance is taken modulo 64
        if (0 != (bits[word] & mask))
        {
            duplicates++;
            return false;
        }
        bits[word] |= mask;
        return ++distinct == lastSeq;
    }

    long lastSeq()
    {
        return lastSeq;
    }

    /**
     * @return sequences in {@code 1..lastSeq} never received.
     */
    long missing()
    {
        return lastSeq - distinct;
    }

    /**
     * @return receipts of a sequence already received.
     */
    long duplicates()
    {
        return duplicates;
    }

    /**
     * @return receipts of a sequence outside {@code 1..lastSeq}: not from this run's plan.
     */
    long outside()
    {
        return outside;
    }

    /**
     * @return the lowest sequence never received, or 0 when none is missing (cold path, for reports).
     */
    long firstMissing()
    {
        for (long seq = 1; seq <= lastSeq; seq++)
        {
            if (0 == (bits[(int)(seq >>> 6)] & (1L << seq)))
            {
                return seq;
            }
        }
        return 0;
    }
}

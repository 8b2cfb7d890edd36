package io.ssebroker.loadgen;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * When subscribers close their own streams during a run, for a reconnect storm: each subscriber drops
 * {@link #perSubscriber()} times inside {@code [fromNs, toNs)}, the publishing period (warm-up and window). A drop
 * that falls due while its stream cannot be dropped (still reconnecting from the one before) waits, at the latest
 * until {@link #deadlineNs()}.
 * <ul>
 *   <li>{@link Mode#RANDOM}: moments drawn uniformly per subscriber from a generator seeded with the run's seed
 *       and the subscriber's global index, so every process draws the same plan for the same run;</li>
 *   <li>{@link Mode#BURST}: every subscriber drops at the same {@code N} instants,
 *       {@code fromNs + k * (toNs - fromNs) / (N + 1)} for {@code k = 1..N}: the worst case for the broker,
 *       all its subscribers reconnecting and replaying at once.</li>
 * </ul>
 * <b>Threading:</b> immutable.
 */
final class DropPolicy
{
    /**
     * How drop moments are chosen.
     */
    enum Mode
    {
        RANDOM, BURST;

        static Mode parse(final String name)
        {
            for (final Mode mode : values())
            {
                if (mode.name().toLowerCase(Locale.ROOT).equals(name))
                {
                    return mode;
                }
            }
            throw new IllegalArgumentException("--drop-mode must be random or burst, was " + name);
        }
    }

    /** No drops. */
    static final DropPolicy NONE = new DropPolicy(0, Mode.RANDOM, 0, 0, 0, 0);

    private static final long[] NO_DROPS = new long[0];

    private final int perSubscriber;
    private final Mode mode;
    private final long seed;
    private final long fromNs;
    private final long toNs;
    private final long deadlineNs;

    /**
     * @param perSubscriber drops per subscriber, 0 for none.
     * @param mode          how moments are chosen.
     * @param seed          seed of {@link Mode#RANDOM} plans.
     * @param fromNs        first moment a drop may be planned for.
     * @param toNs          end of the period, exclusive.
     * @param deadlineNs    last moment a drop that had to wait may still be made.
     */
    DropPolicy(
        final int perSubscriber, final Mode mode, final long seed, final long fromNs, final long toNs, final long deadlineNs)
    {
        if (perSubscriber > 0 && toNs - fromNs <= 0)
        {
            throw new IllegalArgumentException("drops need a publishing period, was " + (toNs - fromNs) + " ns");
        }
        this.perSubscriber = perSubscriber;
        this.mode = mode;
        this.seed = seed;
        this.fromNs = fromNs;
        this.toNs = toNs;
        this.deadlineNs = deadlineNs;
    }

    long deadlineNs()
    {
        return deadlineNs;
    }

    int perSubscriber()
    {
        return perSubscriber;
    }

    Mode mode()
    {
        return mode;
    }

    /**
     * @param subscriber global index of the subscriber.
     * @return its drop moments ({@code System.nanoTime()} values), ascending; empty for none.
     */
    long[] timesFor(final int subscriber)
    {
        if (0 == perSubscriber)
        {
            return NO_DROPS;
        }
        final long spanNs = toNs - fromNs;
        final long[] times = new long[perSubscriber];
        if (Mode.BURST == mode)
        {
            for (int k = 0; k < perSubscriber; k++)
            {
                times[k] = fromNs + (long)((double)spanNs * (k + 1) / (perSubscriber + 1));
            }
            return times;
        }
        final SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + subscriber);
        for (int k = 0; k < perSubscriber; k++)
        {
            times[k] = fromNs + random.nextLong(spanNs);
        }
        Arrays.sort(times);
        return times;
    }
}

package io.ssebroker.log;

/**
 * Where a broker run's ids start. Ids are {@code previous + 1} within a run; a run starts at the
 * wall clock in microseconds, so a restarted broker hands out ids larger than any earlier run's as
 * long as that run averaged fewer than a million events per second, and an old
 * {@code Last-Event-ID} is recognisably from before the restart. The values stay below 2^53, so
 * JavaScript numbers hold them exactly.
 */
public final class EventIds
{
    private EventIds()
    {
    }

    /**
     * @return the first id of a run starting now.
     */
    public static long epochStartingNow()
    {
        return System.currentTimeMillis() * 1000L;
    }
}

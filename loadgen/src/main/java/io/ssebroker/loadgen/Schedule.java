package io.ssebroker.loadgen;

/**
 * The publisher's fixed-rate plan, shared by the parent and every child process so that each can tell, from
 * the same few numbers, which events were due to which topic at which time.
 * <p>
 * Event {@code n} (from 0) is intended at {@code originNs + floor(n * 1e9 / rate)}, goes to topic
 * {@code n % topics} and carries that topic's sequence {@code n / topics + 1}. Events are planned while their
 * intended time is before {@link #windowEndNs()}; the measurement window is
 * {@code [windowStartNs, windowEndNs)}, after the warm-up.
 * <pre>
 *   ramp          | warm-up         | measurement window             | drain
 *   --------------+-----------------+--------------------------------+-------->
 *             originNs        windowStartNs                    windowEndNs   (publishing stops)
 * </pre>
 * <b>Threading:</b> immutable.
 */
final class Schedule
{
    private static final long NS_PER_S = 1_000_000_000L;

    private final long originNs;
    private final long ratePerSecond;
    private final int topics;
    private final long windowStartNs;
    private final long windowEndNs;

    /**
     * @param originNs      intended time of event 0.
     * @param ratePerSecond events per second over all topics, 0 for none.
     * @param topics        number of topics.
     * @param warmupNs      time from the origin to the start of the window.
     * @param durationNs    length of the window.
     */
    Schedule(final long originNs, final long ratePerSecond, final int topics, final long warmupNs, final long durationNs)
    {
        this.originNs = originNs;
        this.ratePerSecond = ratePerSecond;
        this.topics = topics;
        this.windowStartNs = originNs + warmupNs;
        this.windowEndNs = windowStartNs + durationNs;
    }

    long originNs()
    {
        return originNs;
    }

    long ratePerSecond()
    {
        return ratePerSecond;
    }

    int topics()
    {
        return topics;
    }

    long windowStartNs()
    {
        return windowStartNs;
    }

    long windowEndNs()
    {
        return windowEndNs;
    }

    /**
     * @return number of events planned in all: those intended before {@link #windowEndNs()}.
     */
    long totalEvents()
    {
        return eventsBefore(windowEndNs);
    }

    /**
     * @param n event number from 0.
     * @return its intended send time.
     */
    long intendedNs(final long n)
    {
        return originNs + (n * NS_PER_S) / ratePerSecond;
    }

    /**
     * @param n event number from 0.
     * @return its topic index.
     */
    int topic(final long n)
    {
        return (int)(n % topics);
    }

    /**
     * @param n event number from 0.
     * @return its per-topic sequence, from 1.
     */
    long topicSeq(final long n)
    {
        return n / topics + 1;
    }

    /**
     * @param timeNs a time.
     * @return number of planned events intended strictly before it, over all topics.
     */
    long eventsBefore(final long timeNs)
    {
        if (0 == ratePerSecond || timeNs - originNs <= 0)
        {
            return 0;
        }
        final long limitNs = Math.min(timeNs, windowEndNs) - originNs;
        // floor(n * 1e9 / rate) < limit  <=>  n * 1e9 < limit * rate  <=>  n < ceil(limit * rate / 1e9)
        return Math.max(0, ceilDiv(limitNs * ratePerSecond, NS_PER_S));
    }

    /**
     * Events planned for one topic with an intended time in {@code [fromNs, toNs)}.
     *
     * @param topic  topic index.
     * @param fromNs start, inclusive.
     * @param toNs   end, exclusive.
     * @return count, 0 for an empty interval.
     */
    long eventsForTopic(final int topic, final long fromNs, final long toNs)
    {
        if (toNs - fromNs <= 0)
        {
            return 0;
        }
        return eventsOfTopicBelow(topic, eventsBefore(toNs)) - eventsOfTopicBelow(topic, eventsBefore(fromNs));
    }

    /**
     * Events planned for one topic with an intended time inside the measurement window and inside
     * {@code [fromNs, toNs)}.
     *
     * @param topic  topic index.
     * @param fromNs start, inclusive.
     * @param toNs   end, exclusive.
     * @return count.
     */
    long windowEventsForTopic(final int topic, final long fromNs, final long toNs)
    {
        final long from = fromNs - windowStartNs > 0 ? fromNs : windowStartNs;
        final long to = toNs - windowEndNs < 0 ? toNs : windowEndNs;
        return eventsForTopic(topic, from, to);
    }

    /**
     * @param intendedNs an intended send time.
     * @return true when it is inside the measurement window.
     */
    boolean inWindow(final long intendedNs)
    {
        return intendedNs - windowStartNs >= 0 && intendedNs - windowEndNs < 0;
    }

    private long eventsOfTopicBelow(final int topic, final long n)
    {
        // Numbers in [0, n) congruent to topic modulo topics.
        return n > topic ? (n - topic - 1) / topics + 1 : 0;
    }

    private static long ceilDiv(final long x, final long y)
    {
        return -Math.floorDiv(-x, y);
    }
}

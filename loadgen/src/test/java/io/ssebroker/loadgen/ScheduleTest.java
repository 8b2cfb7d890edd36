package io.ssebroker.loadgen;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScheduleTest
{
    private static final long S = 1_000_000_000L;

    // 10 events/s over 3 topics, origin 1000 s, warm-up 1 s, window 2 s: events 0..29, window holds 10..29.
    private final Schedule schedule = new Schedule(1000 * S, 10, 3, S, 2 * S);

    @Test
    void shouldPlanEventsRoundRobinAtFixedIntervals()
    {
        assertEquals(1000 * S, schedule.intendedNs(0));
        assertEquals(1000 * S + 100_000_000L, schedule.intendedNs(1));
        assertEquals(1, schedule.topic(4));
        assertEquals(2, schedule.topicSeq(4));
        assertEquals(30, schedule.totalEvents());
    }

    @Test
    void shouldCountEventsStrictlyBeforeATime()
    {
        assertEquals(0, schedule.eventsBefore(1000 * S));
        assertEquals(1, schedule.eventsBefore(1000 * S + 1));
        assertEquals(10, schedule.eventsBefore(1001 * S));
        assertEquals(30, schedule.eventsBefore(2000 * S));
    }

    @Test
    void shouldCountWindowEventsPerTopic()
    {
        // Window events 10..29: topic 0 gets 12,15,...,27 (6), topic 1 gets 10,13,...,28 (7), topic 2 gets 7.
        assertEquals(6, schedule.windowEventsForTopic(0, 0, Long.MAX_VALUE / 2));
        assertEquals(7, schedule.windowEventsForTopic(1, 0, Long.MAX_VALUE / 2));
        assertEquals(7, schedule.windowEventsForTopic(2, 0, Long.MAX_VALUE / 2));
    }

    @Test
    void shouldCountOnlyTheConnectedPartOfTheWindow()
    {
        // Connected from event 20's time to event 23's time: events 20, 21, 22 -> topic 2, 0, 1.
        final long from = schedule.intendedNs(20);
        final long to = schedule.intendedNs(23);

        assertEquals(1, schedule.windowEventsForTopic(0, from, to));
        assertEquals(1, schedule.windowEventsForTopic(2, from, to));
        assertEquals(0, schedule.windowEventsForTopic(0, to, from));
    }

    @Test
    void shouldTellWindowMembership()
    {
        assertFalse(schedule.inWindow(schedule.intendedNs(9)));
        assertTrue(schedule.inWindow(schedule.intendedNs(10)));
        assertTrue(schedule.inWindow(schedule.intendedNs(29)));
        assertFalse(schedule.inWindow(1003 * S));
    }

    @Test
    void shouldPlanNothingAtRateZero()
    {
        assertEquals(0, new Schedule(0, 0, 3, S, S).totalEvents());
    }
}

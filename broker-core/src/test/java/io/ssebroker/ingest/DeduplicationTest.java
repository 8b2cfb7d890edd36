package io.ssebroker.ingest;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class DeduplicationTest
{
    private long nowMs = 1_000_000;
    private final Deduplication dedup = new Deduplication(4, 1000, 2, () -> nowMs);

    @Test
    void shouldRememberTheLastWindowEventsOfAPublisherByCount()
    {
        final Deduplication.PublisherRecord record = dedup.attach("p");
        for (long seq = 1; seq <= 10; seq++)
        {
            record.taken(seq * 2, 100 + seq, nowMs);
        }
        assertEquals(20, record.highestSequence());
        assertEquals(110, record.idOf(20, nowMs));
        assertEquals(107, record.idOf(14, nowMs), "oldest of the last 4");
        assertEquals(Deduplication.ID_UNKNOWN, record.idOf(12, nowMs), "fifth from last is out of the window");
        assertEquals(Deduplication.ID_UNKNOWN, record.idOf(15, nowMs), "a number never taken");
    }

    @Test
    void shouldForgetIdsOlderThanTheWindowButKeepTheHighestSequence()
    {
        final Deduplication.PublisherRecord record = dedup.attach("p");
        record.taken(1, 11, nowMs);
        nowMs += 600;
        record.taken(2, 12, nowMs);
        nowMs += 600;

        assertEquals(Deduplication.ID_UNKNOWN, record.idOf(1, nowMs), "taken 1,200 ms ago");
        assertEquals(12, record.idOf(2, nowMs), "taken 600 ms ago");
        assertEquals(2, record.highestSequence(), "resends below it are still refused");
    }

    @Test
    void shouldGrowTheWindowPastItsFirstCapacity()
    {
        final Deduplication large = new Deduplication(1000, 60_000, 1, () -> nowMs);
        final Deduplication.PublisherRecord record = large.attach("p");
        for (long seq = 1; seq <= 1500; seq++)
        {
            record.taken(seq, seq + 10_000, nowMs);
        }
        assertEquals(Deduplication.ID_UNKNOWN, record.idOf(500, nowMs));
        assertEquals(10_501, record.idOf(501, nowMs));
        assertEquals(11_500, record.idOf(1500, nowMs));
    }

    @Test
    void shouldReturnTheSameRecordForAKnownIdAndForgetOnlyIdleOnesWhenFull()
    {
        final Deduplication.PublisherRecord a = dedup.attach("a");
        assertSame(a, dedup.attach("a"));
        final Deduplication.PublisherRecord b = dedup.attach("b");
        assertNull(dedup.attach("c"), "two ids known, both connected");

        dedup.detach(b);
        nowMs += 500;
        assertNull(dedup.attach("c"), "b idle for less than the window");
        nowMs += 600;
        final Deduplication.PublisherRecord c = dedup.attach("c");
        assertNotNull(c, "b idle past the window is forgotten");
        assertNull(dedup.record(b.ref()), "messages naming b no longer find it");
        assertSame(c, dedup.record(c.ref()));
        assertSame(a, dedup.record(a.ref()));
    }

    @Test
    void shouldHoldKeysPerTopicByCountAndTime()
    {
        final UnsafeBuffer key = new UnsafeBuffer("k".getBytes(StandardCharsets.US_ASCII));
        final String onTopic1 = Deduplication.scopedKey(1, key, 0, 1);
        final String onTopic2 = Deduplication.scopedKey(2, key, 0, 1);
        dedup.keyTaken(onTopic1, 7, nowMs);
        assertEquals(7, dedup.keyedId(onTopic1, nowMs));
        assertEquals(Deduplication.ID_UNKNOWN, dedup.keyedId(onTopic2, nowMs));

        for (int i = 0; i < 4; i++)
        {
            dedup.keyTaken("other-" + i, i, nowMs);
        }
        assertEquals(Deduplication.ID_UNKNOWN, dedup.keyedId(onTopic1, nowMs), "pushed out by count");
        nowMs += 1001;
        assertEquals(Deduplication.ID_UNKNOWN, dedup.keyedId("other-3", nowMs), "expired by time");
        assertEquals(0, dedup.keysHeld());
    }
}

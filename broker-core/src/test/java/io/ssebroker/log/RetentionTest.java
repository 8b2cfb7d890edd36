package io.ssebroker.log;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RetentionTest
{
    private static final long FIRST_ID = 5_000_000L;
    private static final long BUDGET = 16_000;

    private final TopicRegistry topics = registryKeeping(3);
    private final int small = topics.lookupOrCreate("small").index();
    private final int a = topics.lookupOrCreate("a").index();
    private final int b = topics.lookupOrCreate("b").index();

    @Test
    void shouldTrimTopicOverItsCountLimitOnAppend()
    {
        final Retention retention = new Retention(topics, BUDGET, FIRST_ID);
        assertEquals(Retention.NONE, retention.append(small, FIRST_ID, 10));
        assertEquals(Retention.NONE, retention.append(small, FIRST_ID + 1, 10));
        assertEquals(Retention.NONE, retention.append(small, FIRST_ID + 2, 10));
        assertEquals(FIRST_ID, retention.append(small, FIRST_ID + 3, 10));
        assertEquals(3, retention.totalCount());
        assertEquals(30, retention.totalBytes());
    }

    @Test
    void shouldTrimGloballyOldestFirstDownToLowWatermark()
    {
        final TopicRegistry roomy = registryKeeping(1_000_000);
        final int x = roomy.lookupOrCreate("x").index();
        final int y = roomy.lookupOrCreate("y").index();
        final Retention retention = new Retention(roomy, BUDGET, FIRST_ID);
        final EventLog log = new EventLog(1024, 1, FIRST_ID - 1);
        // 1,000 B events alternating topics (y gets two of every three): the 17th goes over budget.
        long id = FIRST_ID;
        for (int i = 0; i < 17; i++, id++)
        {
            retention.append(0 == i % 3 ? x : y, id, 1000);
        }
        assertEquals(17_000, retention.totalBytes());

        final List<long[]> trims = enforceAndCollect(retention, log);

        // Low watermark 15,000: the two oldest events (ids FIRST_ID on x, FIRST_ID + 1 on y) go.
        assertEquals(15_000, retention.totalBytes());
        assertEquals(15, retention.totalCount());
        assertEquals(2, trims.size());
        for (final long[] trim : trims)
        {
            assertEquals(FIRST_ID + 1, trim[1], "trim up to the exact id");
        }
        assertEquals(0, retention.enforceBudget(log), "under budget: nothing more");
    }

    @Test
    void shouldFindThresholdAcrossManyIdBlocks()
    {
        final TopicRegistry roomy = registryKeeping(1_000_000);
        final int x = roomy.lookupOrCreate("x").index();
        final Retention retention = new Retention(roomy, 1_000_000, FIRST_ID);
        final EventLog log = new EventLog(1024, 1, FIRST_ID - 1);
        final int events = 10 * Retention.BLOCK_IDS + 17;
        for (int i = 0; i < events; i++)
        {
            retention.append(x, FIRST_ID + i, 400);
        }
        // 1,030,800 B retained; low watermark 937,500: drop the 234 oldest (93,600 B) and no more.
        final List<long[]> trims = enforceAndCollect(retention, log);
        assertEquals(1, trims.size());
        assertEquals(FIRST_ID + 233, trims.get(0)[1]);
        assertEquals((events - 234) * 400L, retention.totalBytes());
    }

    @Test
    void shouldTrimAncientEventOfQuietTopicFirstEvenPastTrackedSpan()
    {
        final TopicRegistry roomy = registryKeeping(2);
        final int quiet = roomy.lookupOrCreate("quiet").index();
        final int busy = roomy.lookupOrCreate("busy").index();
        final Retention retention = new Retention(roomy, BUDGET, FIRST_ID);
        final EventLog log = new EventLog(1024, 1, FIRST_ID - 1);
        retention.append(quiet, FIRST_ID, 9_000);
        // Ids far beyond what is tracked block by block, as after a long run.
        final long later = FIRST_ID + (long)Retention.MAX_BLOCKS * Retention.BLOCK_IDS * 3;
        retention.append(busy, later, 4_000);
        retention.append(busy, later + 1, 4_000);
        assertEquals(17_000, retention.totalBytes());

        final List<long[]> trims = enforceAndCollect(retention, log);

        assertEquals(1, trims.size());
        assertEquals(quiet, (int)trims.get(0)[0]);
        assertEquals(8_000, retention.totalBytes());
    }

    @Test
    void shouldContinueEpisodeWhenLogHadNoRoom()
    {
        final TopicRegistry roomy = registryKeeping(1_000_000);
        final int x = roomy.lookupOrCreate("x").index();
        final int y = roomy.lookupOrCreate("y").index();
        final Retention retention = new Retention(roomy, BUDGET, FIRST_ID);
        final EventLog log = new EventLog(16, 1, FIRST_ID - 1);
        for (int i = 0; i < 16; i++)
        {
            retention.append(0 == i % 2 ? x : y, FIRST_ID + i, 2_000);
        }
        for (int i = 0; i < 16; i++)
        {
            log.trim(x, 0);
        }
        log.publish(FIRST_ID);
        assertEquals(0, retention.enforceBudget(log), "a full log takes nothing");
        assertEquals(32_000, retention.totalBytes());

        log.consumed(0, log.published());
        final List<long[]> trims = enforceAndCollect(retention, log);
        assertEquals(2, trims.size());
        assertEquals(14_000, retention.totalBytes());
    }

    /** Topics that keep {@code historyCount} events each and up to 1 GiB. */
    private static TopicRegistry registryKeeping(final int historyCount)
    {
        return new TopicRegistry(name -> new TopicPolicy(historyCount, 1L << 30, false), 100);
    }

    private static List<long[]> enforceAndCollect(final Retention retention, final EventLog log)
    {
        final long from = log.published();
        final int written = retention.enforceBudget(log);
        log.publish(FIRST_ID);
        final List<long[]> trims = new ArrayList<>();
        for (long s = from; s < log.published(); s++)
        {
            assertEquals(EventLog.TRIM, log.kind(s));
            trims.add(new long[]{log.topic(s), log.trimUpToId(s)});
        }
        assertEquals(written, trims.size());
        assertTrue(written > 0);
        return trims;
    }
}

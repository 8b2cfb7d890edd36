package io.ssebroker.log;

import java.util.Arrays;

/**
 * The sequencer's ledger of what the event loops retain: ids and frame sizes per topic, so it can
 * decide trims against the per-topic count and byte limits and the global byte budget, and tell the
 * loops through the {@link EventLog}. It never touches frames.
 * <p>
 * The global budget is enforced oldest-first across topics with one FIFO of (topic, id) in append
 * order; entries a per-topic trim already removed are skipped when they reach the front, and the
 * FIFO is compacted when such stale entries outnumber live ones.
 * <p>
 * <b>Threading:</b> confined to the sequencer thread.
 */
final class Retention
{
    static final long NONE = -1;

    private final TopicRegistry topics;
    private final long budgetBytes;
    private TopicLedger[] ledgers = new TopicLedger[64];
    private long totalBytes;
    private long totalCount;

    private int[] fifoTopics = new int[1024];
    private long[] fifoIds = new long[1024];
    private int fifoHead;
    private int fifoSize;

    Retention(final TopicRegistry topics, final long budgetBytes)
    {
        this.topics = topics;
        this.budgetBytes = budgetBytes;
    }

    long totalBytes()
    {
        return totalBytes;
    }

    long totalCount()
    {
        return totalCount;
    }

    /**
     * Records an appended event and applies the topic's own limits.
     *
     * @return the id up to which the topic must be trimmed, or {@link #NONE}.
     */
    long append(final int topic, final long id, final int lengthBytes)
    {
        final TopicLedger ledger = ledger(topic);
        ledger.push(id, lengthBytes);
        totalBytes += lengthBytes;
        totalCount++;
        fifoPush(topic, id);

        final TopicPolicy policy = ledger.policy;
        long trimUpTo = NONE;
        while (ledger.count > policy.historyCount() || (ledger.bytes > policy.historyBytes() && ledger.count > 1))
        {
            trimUpTo = ledger.oldestId();
            totalBytes -= ledger.pop();
            totalCount--;
        }
        if (NONE != trimUpTo)
        {
            // In steady state the globally oldest entry is usually the one a topic just trimmed:
            // dropping stale entries at the front keeps the FIFO near the live count without a
            // compaction pass.
            dropStaleFront();
        }
        if (fifoSize > 1024 && fifoSize > totalCount * 2)
        {
            compactFifo();
        }
        return trimUpTo;
    }

    /**
     * Trims oldest events across all topics while over the global budget, emitting {@code TRIM}
     * entries as long as the log has room (the rest waits for the next batch).
     *
     * @return number of log entries written.
     */
    int enforceBudget(final EventLog log)
    {
        int written = 0;
        while (totalBytes > budgetBytes && fifoSize > 0)
        {
            final int topic = fifoTopics[fifoHead];
            final long id = fifoIds[fifoHead];
            final TopicLedger ledger = ledgers[topic];
            if (ledger.count > 0 && ledger.oldestId() == id)
            {
                if (!log.hasCapacity(1))
                {
                    break;
                }
                totalBytes -= ledger.pop();
                totalCount--;
                log.trim(topic, id);
                written++;
            }
            fifoPop();
        }
        return written;
    }

    private void dropStaleFront()
    {
        final int mask = fifoIds.length - 1;
        while (fifoSize > 0)
        {
            final TopicLedger ledger = ledgers[fifoTopics[fifoHead]];
            if (ledger.count > 0 && fifoIds[fifoHead] >= ledger.oldestId())
            {
                return;
            }
            fifoHead = (fifoHead + 1) & mask;
            fifoSize--;
        }
    }

    private TopicLedger ledger(final int topic)
    {
        if (topic >= ledgers.length)
        {
            ledgers = Arrays.copyOf(ledgers, Math.max(topic + 1, ledgers.length * 2));
        }
        TopicLedger ledger = ledgers[topic];
        if (null == ledger)
        {
            ledger = new TopicLedger(topics.byIndex(topic).policy());
            ledgers[topic] = ledger;
        }
        return ledger;
    }

    private void fifoPush(final int topic, final long id)
    {
        if (fifoSize == fifoIds.length)
        {
            growFifo(fifoIds.length * 2);
        }
        final int slot = (fifoHead + fifoSize) & (fifoIds.length - 1);
        fifoTopics[slot] = topic;
        fifoIds[slot] = id;
        fifoSize++;
    }

    private void fifoPop()
    {
        fifoHead = (fifoHead + 1) & (fifoIds.length - 1);
        fifoSize--;
    }

    private void growFifo(final int capacity)
    {
        final int[] topicsCopy = new int[capacity];
        final long[] idsCopy = new long[capacity];
        final int mask = fifoIds.length - 1;
        for (int i = 0; i < fifoSize; i++)
        {
            topicsCopy[i] = fifoTopics[(fifoHead + i) & mask];
            idsCopy[i] = fifoIds[(fifoHead + i) & mask];
        }
        fifoTopics = topicsCopy;
        fifoIds = idsCopy;
        fifoHead = 0;
    }

    private void compactFifo()
    {
        final int mask = fifoIds.length - 1;
        int kept = 0;
        for (int i = 0; i < fifoSize; i++)
        {
            final int slot = (fifoHead + i) & mask;
            final int topic = fifoTopics[slot];
            final long id = fifoIds[slot];
            final TopicLedger ledger = ledgers[topic];
            if (ledger.count > 0 && id >= ledger.oldestId())
            {
                final int dst = (fifoHead + kept) & mask;
                fifoTopics[dst] = topic;
                fifoIds[dst] = id;
                kept++;
            }
        }
        fifoSize = kept;
    }

    /** Ids and sizes retained for one topic, oldest first. */
    private static final class TopicLedger
    {
        final TopicPolicy policy;
        long[] ids = new long[16];
        int[] lengths = new int[16];
        int head;
        int count;
        long bytes;

        TopicLedger(final TopicPolicy policy)
        {
            this.policy = policy;
        }

        long oldestId()
        {
            return ids[head];
        }

        void push(final long id, final int length)
        {
            if (count == ids.length)
            {
                grow();
            }
            final int slot = (head + count) & (ids.length - 1);
            ids[slot] = id;
            lengths[slot] = length;
            count++;
            bytes += length;
        }

        int pop()
        {
            final int length = lengths[head];
            head = (head + 1) & (ids.length - 1);
            count--;
            bytes -= length;
            return length;
        }

        private void grow()
        {
            final int capacity = ids.length * 2;
            final long[] idsCopy = new long[capacity];
            final int[] lengthsCopy = new int[capacity];
            for (int i = 0; i < count; i++)
            {
                idsCopy[i] = ids[(head + i) & (ids.length - 1)];
                lengthsCopy[i] = lengths[(head + i) & (ids.length - 1)];
            }
            ids = idsCopy;
            lengths = lengthsCopy;
            head = 0;
        }
    }
}

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

    /** (topic, id) pairs in append order, interleaved so one entry is one cache line access. */
    private long[] fifo = new long[2 * 1024];
    private int fifoMask = 1023;
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
            final int topic = (int)fifo[2 * fifoHead];
            final long id = fifo[2 * fifoHead + 1];
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
        final long[] fifo = this.fifo;
        final int mask = fifoMask;
        while (fifoSize > 0)
        {
            final TopicLedger ledger = ledgers[(int)fifo[2 * fifoHead]];
            if (ledger.count > 0 && fifo[2 * fifoHead + 1] >= ledger.oldestId())
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
        if (fifoSize == fifoMask + 1)
        {
            growFifo((fifoMask + 1) * 2);
        }
        final int slot = (fifoHead + fifoSize) & fifoMask;
        fifo[2 * slot] = topic;
        fifo[2 * slot + 1] = id;
        fifoSize++;
    }

    private void fifoPop()
    {
        fifoHead = (fifoHead + 1) & fifoMask;
        fifoSize--;
    }

    private void growFifo(final int capacity)
    {
        final long[] copy = new long[2 * capacity];
        for (int i = 0; i < fifoSize; i++)
        {
            final int slot = (fifoHead + i) & fifoMask;
            copy[2 * i] = fifo[2 * slot];
            copy[2 * i + 1] = fifo[2 * slot + 1];
        }
        fifo = copy;
        fifoMask = capacity - 1;
        fifoHead = 0;
    }

    private void compactFifo()
    {
        final long[] fifo = this.fifo;
        final int mask = fifoMask;
        int kept = 0;
        for (int i = 0; i < fifoSize; i++)
        {
            final int slot = (fifoHead + i) & mask;
            final int topic = (int)fifo[2 * slot];
            final long id = fifo[2 * slot + 1];
            final TopicLedger ledger = ledgers[topic];
            if (ledger.count > 0 && id >= ledger.oldestId())
            {
                final int dst = (fifoHead + kept) & mask;
                fifo[2 * dst] = topic;
                fifo[2 * dst + 1] = id;
                kept++;
            }
        }
        fifoSize = kept;
    }

    /** Ids and sizes retained for one topic, oldest first, as interleaved (id, length) pairs. */
    private static final class TopicLedger
    {
        final TopicPolicy policy;
        long[] entries = new long[2 * 16];
        int mask = 15;
        int head;
        int count;
        long bytes;

        TopicLedger(final TopicPolicy policy)
        {
            this.policy = policy;
        }

        long oldestId()
        {
            return entries[2 * head];
        }

        void push(final long id, final int length)
        {
            if (count == mask + 1)
            {
                grow();
            }
            final int slot = (head + count) & mask;
            entries[2 * slot] = id;
            entries[2 * slot + 1] = length;
            count++;
            bytes += length;
        }

        int pop()
        {
            final int length = (int)entries[2 * head + 1];
            head = (head + 1) & mask;
            count--;
            bytes -= length;
            return length;
        }

        private void grow()
        {
            final int capacity = (mask + 1) * 2;
            final long[] copy = new long[2 * capacity];
            for (int i = 0; i < count; i++)
            {
                final int slot = (head + i) & mask;
                copy[2 * i] = entries[2 * slot];
                copy[2 * i + 1] = entries[2 * slot + 1];
            }
            entries = copy;
            mask = capacity - 1;
            head = 0;
        }
    }
}

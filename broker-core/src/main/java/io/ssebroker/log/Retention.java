package io.ssebroker.log;

import java.util.Arrays;

/**
 * The sequencer's ledger of what the event loops retain: ids and frame sizes per topic, so it can
 * decide trims against the per-topic count and byte limits and the global byte budget, and tell the
 * loops through the {@link EventLog}. It never touches frames.
 *
 * <h2>Per-topic limits</h2>
 * Applied on every append: the topic's oldest events go as soon as the topic is over its count or
 * byte limit, and the trim travels with the {@code APPEND} entry.
 *
 * <h2>Global budget</h2>
 * Enforced oldest-first across topics, in episodes: when the retained total goes over the budget,
 * the ledger finds the id {@code X} such that dropping every retained event with id at most
 * {@code X} brings the total down to the low watermark (the budget less a sixteenth), then emits one
 * {@code TRIM(topic, X)} per topic that has such events. Between episodes nothing per event is kept
 * for this but a byte count per block of {@value #BLOCK_IDS} consecutive ids:
 *
 * <pre>
 *   ids:     [ block t  ][ block t+1 ] ... [ block h ]      blocks before t folded into olderBytes
 *   bytes:   [  b(t)    ][  b(t+1)   ] ... [  b(h)   ]      b = bytes of retained events in the block
 * </pre>
 *
 * Walking the blocks from the oldest finds the block in which the running sum reaches the excess;
 * within that block the exact id comes from the topics' own entries. An episode costs one pass over
 * the topics and the blocks, once per sixteenth of the budget appended, instead of a global queue
 * entry per event.
 * <p>
 * <b>Threading:</b> confined to the sequencer thread.
 */
final class Retention
{
    static final long NONE = -1;

    static final int BLOCK_SHIFT = 8;
    static final int BLOCK_IDS = 1 << BLOCK_SHIFT;
    /** Blocks tracked one by one (16 M ids); older retained events are counted together. */
    static final int MAX_BLOCKS = 1 << 16;

    private final TopicRegistry topics;
    private final long budgetBytes;
    private final long lowWaterBytes;
    private final long firstId;
    private TopicLedger[] ledgers = new TopicLedger[64];
    private int topicLimit;
    private long totalBytes;
    private long totalCount;

    private long[] blockBytes = new long[64];
    private int blockMask = 63;
    private long blockTail;
    private long blockHead;
    private long olderBytes;

    /** The episode in progress: trim every topic up to this id; {@link #NONE} between episodes. */
    private long episodeUpToId = NONE;
    private int episodeNextTopic;
    private final long[] blockScratch = new long[BLOCK_IDS];

    /**
     * @param firstId the first id the sequencer will assign.
     */
    Retention(final TopicRegistry topics, final long budgetBytes, final long firstId)
    {
        this.topics = topics;
        this.budgetBytes = budgetBytes;
        this.lowWaterBytes = budgetBytes - budgetBytes / 16;
        this.firstId = firstId;
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
     * The topics retaining the most bytes, largest first: one pass over the topics, for a metrics snapshot taken
     * about once a second, not per event.
     *
     * @param limit most topics returned.
     */
    TopTopics topTopics(final int limit)
    {
        final int[] indexes = new int[limit];
        final long[] bytes = new long[limit];
        final int[] counts = new int[limit];
        int size = 0;
        for (int topic = 0, n = Math.min(topicLimit, ledgers.length); topic < n; topic++)
        {
            final TopicLedger ledger = ledgers[topic];
            if (null == ledger || 0 == ledger.count || (size == limit && ledger.bytes <= bytes[size - 1]))
            {
                continue;
            }
            int at = size == limit ? limit - 1 : size++;
            while (at > 0 && bytes[at - 1] < ledger.bytes)
            {
                indexes[at] = indexes[at - 1];
                bytes[at] = bytes[at - 1];
                counts[at] = counts[at - 1];
                at--;
            }
            indexes[at] = topic;
            bytes[at] = ledger.bytes;
            counts[at] = ledger.count;
        }
        final String[] names = new String[size];
        for (int i = 0; i < size; i++)
        {
            names[i] = topics.byIndex(indexes[i]).name();
        }
        return new TopTopics(names, Arrays.copyOf(bytes, size), Arrays.copyOf(counts, size));
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
        final long block = (id - firstId) >>> BLOCK_SHIFT;
        if (block != blockHead)
        {
            advanceHead(block);
        }
        blockBytes[(int)(block & blockMask)] += lengthBytes;

        final TopicPolicy policy = ledger.policy;
        long trimUpTo = NONE;
        while (ledger.count > policy.historyCount() || (ledger.bytes > policy.historyBytes() && ledger.count > 1))
        {
            trimUpTo = ledger.oldestId();
            popOldest(ledger);
        }
        return trimUpTo;
    }

    /**
     * Trims oldest events across all topics when over the global budget, emitting {@code TRIM}
     * entries as long as the log has room; an episode the log cannot take whole continues on the
     * next call.
     *
     * @return number of log entries written.
     */
    int enforceBudget(final EventLog log)
    {
        if (NONE == episodeUpToId)
        {
            if (totalBytes <= budgetBytes)
            {
                return 0;
            }
            episodeUpToId = thresholdId(totalBytes - lowWaterBytes);
            episodeNextTopic = 0;
        }
        final long upToId = episodeUpToId;
        final TopicLedger[] ledgers = this.ledgers;
        int written = 0;
        for (; episodeNextTopic < topicLimit; episodeNextTopic++)
        {
            final TopicLedger ledger = ledgers[episodeNextTopic];
            if (null == ledger || 0 == ledger.count || ledger.oldestId() > upToId)
            {
                continue;
            }
            if (!log.hasCapacity(1))
            {
                return written;
            }
            while (ledger.count > 0 && ledger.oldestId() <= upToId)
            {
                popOldest(ledger);
            }
            log.trim(episodeNextTopic, upToId);
            written++;
        }
        // Every retained event up to upToId is gone: the blocks it covered are empty.
        final long block = Math.max(blockTail, Math.min(blockHead, (upToId - firstId) >>> BLOCK_SHIFT));
        while (blockTail < block)
        {
            blockBytes[(int)(blockTail & blockMask)] = 0;
            blockTail++;
        }
        olderBytes = 0;
        episodeUpToId = NONE;
        return written;
    }

    /**
     * The smallest id such that the retained events with ids up to it hold at least
     * {@code excessBytes} (or the newest id when all of them together hold less).
     */
    private long thresholdId(final long excessBytes)
    {
        long sum = olderBytes;
        if (sum >= excessBytes)
        {
            return firstId + (blockTail << BLOCK_SHIFT) - 1;
        }
        for (long block = blockTail; block <= blockHead; block++)
        {
            final long bytes = blockBytes[(int)(block & blockMask)];
            if (sum + bytes >= excessBytes)
            {
                return thresholdIdWithin(block, excessBytes - sum);
            }
            sum += bytes;
        }
        return firstId + (blockHead << BLOCK_SHIFT) + BLOCK_IDS - 1;
    }

    /**
     * Within one block, the id at which the running sum of retained bytes reaches {@code needBytes}:
     * the block's events are gathered from the topics that hold them.
     */
    private long thresholdIdWithin(final long block, final long needBytes)
    {
        final long startId = firstId + (block << BLOCK_SHIFT);
        final long endId = startId + BLOCK_IDS;
        final long[] bytesById = blockScratch;
        Arrays.fill(bytesById, 0);
        for (int t = 0; t < topicLimit; t++)
        {
            final TopicLedger ledger = ledgers[t];
            if (null != ledger)
            {
                ledger.addLengths(startId, endId, bytesById);
            }
        }
        long sum = 0;
        for (int i = 0; i < BLOCK_IDS; i++)
        {
            sum += bytesById[i];
            if (sum >= needBytes)
            {
                return startId + i;
            }
        }
        return endId - 1;
    }

    private void popOldest(final TopicLedger ledger)
    {
        final long id = ledger.oldestId();
        final int length = ledger.pop();
        totalBytes -= length;
        totalCount--;
        final long block = (id - firstId) >>> BLOCK_SHIFT;
        if (block < blockTail)
        {
            olderBytes -= length;
        }
        else
        {
            blockBytes[(int)(block & blockMask)] -= length;
        }
    }

    private void advanceHead(final long block)
    {
        while (blockHead < block)
        {
            if (blockHead + 1 - blockTail == blockBytes.length)
            {
                if (blockBytes.length < MAX_BLOCKS)
                {
                    growBlocks();
                }
                else
                {
                    // Too long a span to track block by block: a quiet topic keeps old events.
                    olderBytes += blockBytes[(int)(blockTail & blockMask)];
                    blockTail++;
                }
            }
            blockHead++;
            blockBytes[(int)(blockHead & blockMask)] = 0;
        }
    }

    private void growBlocks()
    {
        final long[] copy = new long[blockBytes.length * 2];
        final int newMask = copy.length - 1;
        for (long b = blockTail; b <= blockHead; b++)
        {
            copy[(int)(b & newMask)] = blockBytes[(int)(b & blockMask)];
        }
        blockBytes = copy;
        blockMask = newMask;
    }

    private TopicLedger ledger(final int topic)
    {
        if (topic >= topicLimit)
        {
            if (topic >= ledgers.length)
            {
                ledgers = Arrays.copyOf(ledgers, Math.max(topic + 1, ledgers.length * 2));
            }
            topicLimit = topic + 1;
        }
        TopicLedger ledger = ledgers[topic];
        if (null == ledger)
        {
            ledger = new TopicLedger(topics.byIndex(topic).policy());
            ledgers[topic] = ledger;
        }
        return ledger;
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

        /**
         * Adds the length of each retained event with {@code startId <= id < endId} to
         * {@code bytesById[id - startId]}.
         */
        void addLengths(final long startId, final long endId, final long[] bytesById)
        {
            for (int i = 0; i < count; i++)
            {
                final int slot = (head + i) & mask;
                final long id = entries[2 * slot];
                if (id >= endId)
                {
                    return;
                }
                if (id >= startId)
                {
                    bytesById[(int)(id - startId)] += entries[2 * slot + 1];
                }
            }
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

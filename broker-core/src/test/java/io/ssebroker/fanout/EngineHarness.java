package io.ssebroker.fanout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.ssebroker.ingest.IngestRing;
import io.ssebroker.ingest.PublisherSession;
import io.ssebroker.ingest.PublisherSessions;
import io.ssebroker.log.EventLog;
import io.ssebroker.log.Sequencer;
import io.ssebroker.log.TopicPolicy;
import io.ssebroker.log.TopicRegistry;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The engine without a network, on the test thread: ingest ring → sequencer → event log → one
 * {@link LoopFanOut} whose "event loop" is the caller.
 */
final class EngineHarness implements AutoCloseable
{
    static final long EPOCH = 1_000_000L;
    static final long RETRY_MS = 2500;

    final AtomicInteger frameAllocations = new AtomicInteger();
    final TopicRegistry topics;
    final IngestRing ring = new IngestRing(1 << 20);
    final IngestRing.Producer producer = ring.newProducer();
    final PublisherSessions sessions = new PublisherSessions();
    final PublisherSession session;
    final EventLog log;
    final Sequencer sequencer;
    final LoopFanOut fanOut;
    long nowNs = 1_000_000_000L;

    EngineHarness(final int historyCount, final long budgetBytes, final boolean conflate)
    {
        topics = new TopicRegistry(name -> new TopicPolicy(historyCount, 1 << 24, conflate), 1000);
        log = new EventLog(1024, 1, EPOCH - 1);
        session = sessions.register(1024, Runnable::run, s -> { });
        final ByteBufAllocator counting = new CountingAllocator(frameAllocations);
        sequencer = new Sequencer(ring, log, topics, sessions, counting, budgetBytes, EPOCH, 4096, () -> { });
        fanOut = new LoopFanOut(log, 0, topics, Runnable::run, Unpooled.buffer(0).alloc(), EPOCH, 8192,
            1_000_000_000L, 5_000_000_000L, RETRY_MS);
    }

    int topic(final String name)
    {
        return topics.lookupOrCreate(name).index();
    }

    /**
     * Publishes through the ring and the sequencer, then lets the fan-out deliver.
     */
    void publish(final String topic, final String event, final String data)
    {
        offer(topic, event, data);
        sequencer.doWork();
        fanOut.drain(nowNs);
    }

    /**
     * Publishes one event to each topic, sequenced and delivered as one batch.
     */
    void publishBatch(final String... topics)
    {
        for (final String topic : topics)
        {
            offer(topic, "", "on " + topic);
        }
        sequencer.doWork();
        fanOut.drain(nowNs);
    }

    private void offer(final String topic, final String event, final String data)
    {
        final int topicIndex = topic(topic);
        final byte[] eventBytes = event.getBytes(StandardCharsets.US_ASCII);
        final byte[] dataBytes = data.getBytes(StandardCharsets.UTF_8);
        final ByteBuf src = Unpooled.buffer();
        src.writeBytes(eventBytes).writeBytes(dataBytes);
        try
        {
            if (!producer.offer(session.id(), session.nextSequence(), topicIndex, src, 0, eventBytes.length,
                eventBytes.length, dataBytes.length))
            {
                throw new IllegalStateException("ring full");
            }
        }
        finally
        {
            src.release();
        }
    }

    SubscriberCursor subscribe(final SubscriberSink sink, final String lastEventId, final String... topicNames)
    {
        final int[] indexes = new int[topicNames.length];
        for (int i = 0; i < topicNames.length; i++)
        {
            indexes[i] = topic(topicNames[i]);
        }
        return fanOut.subscribe(indexes, lastEventId, sink, nowNs);
    }

    @Override
    public void close()
    {
        sequencer.close();
        fanOut.release();
    }

    /** Counts every buffer the sequencer allocates: frame slabs. */
    private static final class CountingAllocator extends io.netty.buffer.AbstractByteBufAllocator
    {
        private final AtomicInteger count;

        CountingAllocator(final AtomicInteger count)
        {
            super(true);
            this.count = count;
        }

        @Override
        protected ByteBuf newHeapBuffer(final int initialCapacity, final int maxCapacity)
        {
            count.incrementAndGet();
            return PooledByteBufAllocator.DEFAULT.heapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newDirectBuffer(final int initialCapacity, final int maxCapacity)
        {
            count.incrementAndGet();
            return PooledByteBufAllocator.DEFAULT.directBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled()
        {
            return true;
        }
    }
}

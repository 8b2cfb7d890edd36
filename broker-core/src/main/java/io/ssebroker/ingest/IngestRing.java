package io.ssebroker.ingest;

import io.netty.buffer.ByteBuf;
import io.ssebroker.codec.SseFrameEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

import static io.ssebroker.ingest.IngestMessageDescriptor.DATA_FIELDS_LENGTH_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.EVENT_LENGTH_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.KEY_LENGTH_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.KEY_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.FIRST_BREAK_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.MSG_PUBLISH;
import static io.ssebroker.ingest.IngestMessageDescriptor.PUBLISHER_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.PUBLISHER_SEQUENCE_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.RECEIVED_NS_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.SEQUENCE_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.SESSION_ID_OFFSET;
import static io.ssebroker.ingest.IngestMessageDescriptor.TOPIC_OFFSET;

/**
 * The bounded many-to-one ring from event loops to the sequencer (Agrona
 * {@link ManyToOneRingBuffer}), plus the wake-up protocol for a sequencer that has parked.
 *
 * <h2>Back pressure</h2>
 * {@link Producer#offer} never blocks: it returns false when the ring is full, and the caller stops
 * reading from its publisher until a retry succeeds.
 *
 * <h2>Wake-up</h2>
 * The sequencer announces it is about to park ({@link #sleeping}), issues a full fence and re-checks
 * the ring; a producer commits a batch of offers, then calls {@link Producer#signalConsumer()},
 * which issues a full fence and reads the flag. One of the two always
 * sees the other (Dekker), so a committed message is never left waiting for a park timeout.
 * <p>
 * <b>Threading:</b> one {@link Producer} per event loop or connection; {@link #ring()} is read by the
 * sequencer alone.
 */
public final class IngestRing
{
    private final ManyToOneRingBuffer ring;
    private final UnsafeBuffer buffer;
    private volatile Thread consumer;
    private volatile boolean sleeping;

    /**
     * @param capacityBytes data capacity, a power of two.
     */
    public IngestRing(final int capacityBytes)
    {
        if (Integer.bitCount(capacityBytes) != 1 || capacityBytes < 64 * 1024)
        {
            throw new IllegalArgumentException(
                "ingest.ringBytes must be a power of two of at least 65536, was " + capacityBytes);
        }
        this.buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(capacityBytes + RingBufferDescriptor.TRAILER_LENGTH));
        this.ring = new ManyToOneRingBuffer(buffer);
    }

    public RingBuffer ring()
    {
        return ring;
    }

    /**
     * @return the largest message, header included, that fits the ring.
     */
    public int maxMessageLength()
    {
        return ring.maxMsgLength();
    }

    /**
     * @return true when the ring holds messages not yet read by the sequencer.
     */
    public boolean hasMessages()
    {
        return ring.producerPosition() != ring.consumerPosition();
    }

    /**
     * Sequencer side: declares the thread to wake and whether it is about to park.
     */
    public void consumerThread(final Thread thread)
    {
        this.consumer = thread;
    }

    public void sleeping(final boolean sleeping)
    {
        this.sleeping = sleeping;
    }

    /**
     * @return whether the consumer declared itself asleep, so that producers wake it: for tests.
     */
    public boolean isSleeping()
    {
        return sleeping;
    }

    /**
     * Wakes the consumer thread if it has parked: for producers, and for inputs of that thread that do not come
     * through the ring (they must make their work visible before calling).
     */
    public void signalConsumer()
    {
        // StoreLoad between the producer's commit and its read of the flag.
        VarHandle.fullFence();
        if (sleeping)
        {
            final Thread thread = consumer;
            if (null != thread)
            {
                LockSupport.unpark(thread);
            }
        }
    }

    /**
     * @return a producer with its own scratch view of the ring's memory.
     */
    public Producer newProducer()
    {
        return new Producer();
    }

    /**
     * Writes publish messages into the ring. <b>Threading:</b> confined to one thread.
     */
    public final class Producer
    {
        private final ByteBuffer view = buffer.byteBuffer().duplicate();
        private long receivedNs;

        private Producer()
        {
        }

        /**
         * Stamps the publishes offered from now on as read at {@code nowNs} ({@link System#nanoTime()}); call once
         * per read from the publisher's connection, not per publish. Unstamped publishes carry 0 and are not
         * measured.
         */
        public void receivedAt(final long nowNs)
        {
            this.receivedNs = nowNs;
        }

        /**
         * Copies one publish without a publisher id or key into the ring.
         *
         * @return true if it was taken; false if the ring is full (retry later, nothing written).
         * @throws IllegalArgumentException if the message is larger than {@link #maxMessageLength()}.
         */
        public boolean offer(
            final int sessionId,
            final long sequence,
            final int topicIndex,
            final ByteBuf src,
            final int eventIndex,
            final int eventLength,
            final int dataIndex,
            final int dataLength)
        {
            return offer(sessionId, sequence, topicIndex, Deduplication.NO_PUBLISHER, 0, src, 0, 0,
                eventIndex, eventLength, dataIndex, dataLength);
        }

        /**
         * Copies one publish into the ring, with what the sequencer needs to take it at most once.
         *
         * @param publisherRef      {@link Deduplication.PublisherRecord#ref()}, or {@link Deduplication#NO_PUBLISHER}.
         * @param publisherSequence the publisher's sequence, 0 for none.
         * @param keyIndex          index of the idempotency key in {@code src}.
         * @param keyLength         its length, 0 for none.
         * @return true if it was taken; false if the ring is full (retry later, nothing written).
         * @throws IllegalArgumentException if the message is larger than {@link #maxMessageLength()}.
         */
        public boolean offer(
            final int sessionId,
            final long sequence,
            final int topicIndex,
            final int publisherRef,
            final long publisherSequence,
            final ByteBuf src,
            final int keyIndex,
            final int keyLength,
            final int eventIndex,
            final int eventLength,
            final int dataIndex,
            final int dataLength)
        {
            final int length = KEY_OFFSET + keyLength + eventLength + dataLength;
            final int index = ring.tryClaim(MSG_PUBLISH, length);
            if (index < 0)
            {
                return false;
            }
            final UnsafeBuffer buffer = IngestRing.this.buffer;
            buffer.putInt(index + SESSION_ID_OFFSET, sessionId);
            buffer.putInt(index + TOPIC_OFFSET, topicIndex);
            buffer.putLong(index + SEQUENCE_OFFSET, sequence);
            buffer.putInt(index + PUBLISHER_OFFSET, publisherRef);
            buffer.putShort(index + EVENT_LENGTH_OFFSET, (short)eventLength);
            buffer.putShort(index + KEY_LENGTH_OFFSET, (short)keyLength);
            buffer.putLong(index + PUBLISHER_SEQUENCE_OFFSET, publisherSequence);
            buffer.putLong(index + RECEIVED_NS_OFFSET, receivedNs);
            copy(src, keyIndex, index + KEY_OFFSET, keyLength);
            final int eventStart = index + KEY_OFFSET + keyLength;
            copy(src, eventIndex, eventStart, eventLength);
            final int dataStart = eventStart + eventLength;
            copy(src, dataIndex, dataStart, dataLength);
            // Scan the copy, still in cache, so the sequencer does not have to (see the descriptor).
            final int firstBreak = SseFrameEncoder.indexOfLineBreak(buffer, dataStart, dataLength);
            buffer.putInt(index + DATA_FIELDS_LENGTH_OFFSET,
                SseFrameEncoder.dataFieldsLength(buffer, dataStart, dataLength, firstBreak));
            buffer.putInt(index + FIRST_BREAK_OFFSET, firstBreak < 0 ? -1 : firstBreak - dataStart);
            ring.commit(index);
            return true;
        }

        /**
         * Wakes the sequencer if it has parked. Call once after a batch of {@link #offer}s, not per
         * offer: the check costs a full fence.
         */
        public void signalConsumer()
        {
            IngestRing.this.signalConsumer();
        }

        private void copy(final ByteBuf src, final int srcIndex, final int dstIndex, final int length)
        {
            if (length > 0)
            {
                final ByteBuffer view = this.view;
                view.limit(dstIndex + length).position(dstIndex);
                src.getBytes(srcIndex, view);
            }
        }
    }
}

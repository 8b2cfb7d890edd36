package io.ssebroker.server.cluster;

import io.nats.client.Connection;
import io.nats.client.FetchConsumeOptions;
import io.nats.client.FetchConsumer;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamStatusCheckedException;
import io.nats.client.Message;
import io.nats.client.StreamContext;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.nats.client.api.StreamState;
import io.nats.client.impl.Headers;
import io.netty.buffer.ByteBufAllocator;
import io.ssebroker.fanout.DeepHistory;
import io.ssebroker.fanout.ReplayChunk;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * The cluster's stream as the {@link DeepHistory} behind every event loop: a resume from below a node's in-memory
 * history is read back from JetStream, a chunk at a time.
 * <p>
 * A chunk: the stream's state (is the sequence after the resume point still held?), then for each topic an ordered
 * consumer filtered on its subject from that sequence, fetched without waiting; the topics' messages are merged in
 * sequence order and encoded once into one buffer. A topic whose fetch came back full may have more after its last
 * message, so the chunk is complete only up to the lowest such last sequence (or the stream's last sequence when no
 * topic filled), and ends there.
 * <p>
 * NATS 2.9 has no consumer with several filter subjects, hence one fetch per topic: a stream of many topics resumes in
 * as many round trips. The reads run on a small pool of their own, never on an event loop or a NATS thread.
 * <p>
 * <b>Threading:</b> {@link #load} from any thread; the pool's threads read and call back.
 */
final class StreamHistory implements DeepHistory, AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(StreamHistory.class);
    /** Bytes one topic's fetch may bring back in a chunk. */
    private static final int FETCH_MAX_BYTES = 4 << 20;
    private static final int READ_THREADS = 2;

    private final Connection connection;
    private final String streamName;
    private final long epochBase;
    private final ByteBufAllocator alloc;
    private final int maxDataBytes;
    private final ExecutorService readers = Executors.newFixedThreadPool(READ_THREADS, runnable ->
    {
        final Thread thread = new Thread(runnable, "cluster-replay");
        thread.setDaemon(true);
        return thread;
    });

    StreamHistory(
        final Connection connection,
        final String streamName,
        final long epochBase,
        final ByteBufAllocator alloc,
        final int maxDataBytes)
    {
        this.connection = connection;
        this.streamName = streamName;
        this.epochBase = epochBase;
        this.alloc = alloc;
        this.maxDataBytes = maxDataBytes;
    }

    @Override
    public void load(final String[] topics, final long afterId, final int maxEvents, final Consumer<ReplayChunk> done)
    {
        try
        {
            readers.execute(() -> done.accept(read(topics, afterId, maxEvents)));
        }
        catch (final RejectedExecutionException closed)
        {
            done.accept(ReplayChunk.failed());
        }
    }

    private ReplayChunk read(final String[] topics, final long afterId, final int maxEvents)
    {
        final long afterSequence = Math.max(0, afterId - epochBase);
        try
        {
            final StreamContext stream = connection.getStreamContext(streamName);
            final StreamState state = stream.getStreamInfo().getStreamState();
            final boolean empty = 0 == state.getMsgCount();
            final boolean reachesBack = empty ? afterSequence >= state.getLastSequence() :
                state.getFirstSequence() <= afterSequence + 1;
            final long oldestId = empty ? -1 : epochBase + state.getFirstSequence();
            long completeThrough = state.getLastSequence();
            final List<Message> messages = new ArrayList<>();
            for (final String topic : topics)
            {
                if (fetch(stream, streamName + "." + topic, afterSequence + 1, maxEvents, messages))
                {
                    completeThrough = Math.min(completeThrough, sequence(messages.get(messages.size() - 1)));
                }
            }
            messages.sort((a, b) -> Long.compare(sequence(a), sequence(b)));
            final ReplayChunk.Builder chunk = new ReplayChunk.Builder(alloc);
            try
            {
                for (final Message message : messages)
                {
                    final long sequence = sequence(message);
                    if (sequence > completeThrough)
                    {
                        break;
                    }
                    final Headers headers = message.getHeaders();
                    final String event = null == headers ? null : headers.getFirst(JetStreamInput.EVENT_HEADER);
                    chunk.add(epochBase + sequence, event, message.getData());
                }
                return chunk.build(epochBase + completeThrough, oldestId, reachesBack);
            }
            catch (final RuntimeException ex)
            {
                chunk.discard();
                throw ex;
            }
        }
        catch (final java.io.IOException | JetStreamApiException | RuntimeException ex)
        {
            LOG.warn("deep replay from stream {} after id {} failed: {}", streamName, afterId, ex.toString());
            return ReplayChunk.failed();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return ReplayChunk.failed();
        }
    }

    /**
     * Adds one subject's messages from {@code startSequence} to {@code into}.
     *
     * @return true when the fetch came back full (by count or close to its byte bound): there may be more.
     */
    private boolean fetch(
        final StreamContext stream,
        final String subject,
        final long startSequence,
        final int maxEvents,
        final List<Message> into) throws java.io.IOException, JetStreamApiException, InterruptedException
    {
        final OrderedConsumerConfiguration ordered = new OrderedConsumerConfiguration()
            .filterSubject(subject)
            .deliverPolicy(DeliverPolicy.ByStartSequence)
            .startSequence(startSequence);
        final FetchConsumeOptions options = FetchConsumeOptions.builder()
            .maxMessages(maxEvents)
            .maxBytes(FETCH_MAX_BYTES)
            .noWait()
            .build();
        int count = 0;
        long bytes = 0;
        final FetchConsumer fetch = stream.createOrderedConsumer(ordered).fetch(options);
        try
        {
            Message message;
            while (null != (message = fetch.nextMessage()))
            {
                into.add(message);
                count++;
                bytes += message.consumeByteCount();
            }
        }
        catch (final JetStreamStatusCheckedException ex)
        {
            throw new java.io.IOException("fetch " + subject + ": " + ex.getMessage(), ex);
        }
        finally
        {
            try
            {
                fetch.close();
            }
            catch (final Exception ex)
            {
                LOG.debug("closing a replay fetch", ex);
            }
        }
        return count >= maxEvents || bytes > FETCH_MAX_BYTES - maxDataBytes - 1024L;
    }

    private static long sequence(final Message message)
    {
        return message.metaData().streamSequence();
    }

    @Override
    public void close()
    {
        readers.shutdownNow();
    }
}

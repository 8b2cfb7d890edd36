package io.ssebroker.loadgen;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

import io.netty.util.AsciiString;
import io.ssebroker.client.AckListener;
import io.ssebroker.client.IngestClient;

/**
 * Publishes over the TCP ingest protocol with {@link IngestClient#tryPublish}; topic names are
 * {@link AsciiString} constants and the payload array is reused, so nothing is allocated per event but the
 * pooled frame buffer.
 * <p>
 * <b>Threading:</b> offers on the publisher thread; acknowledgements are counted on the client's event loop.
 */
final class IngestPublisher extends Publisher implements AckListener
{
    /** Topic of the start marker; no subscriber reads it. */
    static final String START_MARKER_TOPIC = "loadgen-start";

    private final IngestClient client;
    private final AsciiString[] topicNames;

    IngestPublisher(
        final Schedule schedule,
        final int payloadBytes,
        final long deadlineNs,
        final String host,
        final int port,
        final String token,
        final long lingerUs)
    {
        super(schedule, payloadBytes, deadlineNs);
        topicNames = new AsciiString[schedule.topics()];
        for (int i = 0; i < topicNames.length; i++)
        {
            topicNames[i] = new AsciiString(SubscribeTarget.topicName(i));
        }
        client = IngestClient.connect(new IngestClient.Context()
            .host(host)
            .port(port)
            .token(token)
            .name("loadgen")
            .flushLingerUs(lingerUs)
            .listener(this));
    }

    /**
     * Publishes one event to {@value #START_MARKER_TOPIC} on a connection of its own and waits for its id. Ids
     * increase across the broker, so every event of a run published after it has a larger id: a subscriber whose
     * first request carries {@code Last-Event-ID} with this id is owed exactly the run's events of its topics,
     * however late its response comes.
     *
     * @return the marker's event id.
     * @throws IllegalStateException when the broker does not acknowledge it within 10 s.
     */
    static long publishStartMarker(final String host, final int port, final String token)
    {
        final IngestClient client = IngestClient.connect(host, port, token, "loadgen-start");
        try
        {
            return client.publish(START_MARKER_TOPIC, null, "start".getBytes(StandardCharsets.US_ASCII))
                .get(10, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted publishing the start marker", ex);
        }
        catch (final ExecutionException | TimeoutException ex)
        {
            throw new IllegalStateException("start marker not acknowledged: " + ex, ex);
        }
        finally
        {
            client.close(1_000);
        }
    }

    protected boolean offer(final int topic, final byte[] data, final int length)
    {
        final long result = client.tryPublish(topicNames[topic], null, data, 0, length);
        if (IngestClient.CLOSED == result)
        {
            throw new IllegalStateException("ingest connection closed, code " + client.closeCode());
        }
        return IngestClient.BACK_PRESSURED != result;
    }

    protected void drain(final long deadlineNs)
    {
        client.flush();
        while (client.inFlight() > 0 && !client.isClosed() && deadlineNs - System.nanoTime() > 0)
        {
            LockSupport.parkNanos(1_000_000);
        }
    }

    public void onAck(final long firstSeq, final int count, final long firstId)
    {
        acked.addAndGet(count);
    }

    public void onError(final long seq, final int code, final String message)
    {
        failed.incrementAndGet();
        lastError("ingest error " + code + ": " + message);
    }

    public void close()
    {
        client.close(1_000);
    }
}

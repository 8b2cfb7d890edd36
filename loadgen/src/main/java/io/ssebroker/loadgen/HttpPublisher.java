package io.ssebroker.loadgen;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Publishes each event as an HTTP POST of the raw payload to a per-topic URL (nchan's {@code /pub/{topic}}, or
 * the broker's {@code /publish?topic={topic}}), with the JDK client over HTTP/1.1 and at most
 * {@link #MAX_CONCURRENT_REQUESTS} requests outstanding; beyond that the publisher is back-pressured.
 * <p>
 * Allocates per event (request, body copy, future): it is the comparison path, not the fast one.
 * <p>
 * <b>Threading:</b> offers on the publisher thread; responses are counted on the HTTP client's threads.
 */
final class HttpPublisher extends Publisher
{
    static final int MAX_CONCURRENT_REQUESTS = 256;

    private final Semaphore permits = new Semaphore(MAX_CONCURRENT_REQUESTS);
    private final HttpClient client;
    private final URI[] uris;

    HttpPublisher(final Schedule schedule, final int payloadBytes, final long deadlineNs, final String template)
    {
        super(schedule, payloadBytes, deadlineNs);
        if (!template.contains(SubscribeTarget.TOPIC_PLACEHOLDER))
        {
            throw new IllegalArgumentException("--publish http URL must contain {topic}, was " + template);
        }
        uris = new URI[schedule.topics()];
        for (int i = 0; i < uris.length; i++)
        {
            uris[i] = URI.create(template.replace(SubscribeTarget.TOPIC_PLACEHOLDER, SubscribeTarget.topicName(i)));
        }
        client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    }

    protected boolean offer(final int topic, final byte[] data, final int length)
    {
        if (!permits.tryAcquire())
        {
            return false;
        }
        final HttpRequest request = HttpRequest.newBuilder(uris[topic])
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofByteArray(Arrays.copyOf(data, length)))
            .build();
        client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete(
            (response, error) ->
            {
                permits.release();
                if (null == error && response.statusCode() / 100 == 2)
                {
                    acked.incrementAndGet();
                }
                else
                {
                    failed.incrementAndGet();
                    lastError(null == error ? "publish status " + response.statusCode() : "publish: " + error);
                }
            });
        return true;
    }

    protected void drain(final long deadlineNs)
    {
        try
        {
            final long waitNs = Math.max(0, deadlineNs - System.nanoTime());
            if (permits.tryAcquire(MAX_CONCURRENT_REQUESTS, waitNs, TimeUnit.NANOSECONDS))
            {
                permits.release(MAX_CONCURRENT_REQUESTS);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    public void close()
    {
    }
}

package io.ssebroker.server.demo;

import io.ssebroker.client.IngestClient;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Publishes random-walk quotes for a few ticker topics over the TCP ingest protocol, so a fresh
 * broker has something to show. <b>Threading:</b> one scheduler thread of its own.
 */
public final class DemoFeed implements AutoCloseable
{
    public static final List<String> TOPICS = List.of("ticker.AAPL", "ticker.MSFT", "ticker.GOOG", "ticker.EURUSD");

    private static final Logger LOG = LoggerFactory.getLogger(DemoFeed.class);
    private static final double[] START_PRICES = {190.0, 410.0, 170.0, 1.08};

    private final IngestClient client;
    private final ScheduledExecutorService scheduler;
    private final double[] prices = START_PRICES.clone();
    private final SplittableRandom random = new SplittableRandom(42);

    private DemoFeed(final IngestClient client, final long intervalMs)
    {
        this.client = client;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r ->
        {
            final Thread thread = new Thread(r, "demo-feed");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.scheduleAtFixedRate(this::tick, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Connects to the broker's ingest port and starts publishing.
     */
    public static DemoFeed start(final String host, final int ingestPort, final String token, final long intervalMs)
    {
        return new DemoFeed(IngestClient.connect(host, ingestPort, token, "demo-feed"), intervalMs);
    }

    private void tick()
    {
        try
        {
            for (int i = 0; i < TOPICS.size(); i++)
            {
                final double step = prices[i] * 0.001 * (random.nextDouble() * 2 - 1);
                prices[i] = Math.max(0.0001, prices[i] + step);
                final String symbol = TOPICS.get(i).substring("ticker.".length());
                final String json = String.format(Locale.ROOT,
                    "{\"symbol\":\"%s\",\"price\":%.4f,\"change\":%.4f,\"ts\":%d}",
                    symbol, prices[i], step, System.currentTimeMillis());
                client.publish(TOPICS.get(i), "quote", json.getBytes(StandardCharsets.UTF_8));
            }
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("demo feed publish failed", ex);
        }
    }

    @Override
    public void close()
    {
        scheduler.shutdownNow();
        try
        {
            client.close();
        }
        catch (final RuntimeException ex)
        {
            LOG.debug("demo feed close", ex);
        }
    }
}

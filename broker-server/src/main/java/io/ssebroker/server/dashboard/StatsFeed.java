package io.ssebroker.server.dashboard;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.ssebroker.codec.TopicNames;
import io.ssebroker.fanout.EvictionReason;
import io.ssebroker.log.Topic;
import io.ssebroker.server.edge.StatsBackend;
import io.ssebroker.server.http.HttpRejection;
import io.ssebroker.server.http.PublishQueue;
import io.ssebroker.server.metrics.HttpMetrics.Protocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The broker publishing its own numbers to {@code @broker.stats} once a second while anyone subscribes to it,
 * through the same sequencer, history and fan-out as every other event, for {@code /dashboard} and for anyone who wants them as a stream. Each event
 * ({@code stats}) is one JSON object: subscribers by protocol, events in and out (totals and per second over the
 * last interval), evictions by reason, subscriber lag (max, p99) and ingest-to-write latency percentiles of the
 * last interval (microseconds).
 * <p>
 * <b>Threading:</b> runs on one event loop, which owns its {@link PublishQueue}; {@link #close} from any thread.
 */
public final class StatsFeed implements PublishQueue.Answer
{
    /** The topic the broker publishes its numbers to; reserved for it ({@link TopicNames#RESERVED_PREFIX}). */
    public static final String TOPIC = TopicNames.RESERVED_PREFIX + "stats";

    private static final Logger LOG = LoggerFactory.getLogger(StatsFeed.class);
    private static final byte[] EVENT = "stats".getBytes(StandardCharsets.US_ASCII);

    private final StatsBackend broker;
    private final EventLoop loop;
    private final PublishQueue queue;
    private final Topic topic;
    private final long startedMs = System.currentTimeMillis();
    private ScheduledFuture<?> task;
    private long lastNs = System.nanoTime();
    private long lastIn;
    private long lastOut;

    private StatsFeed(final StatsBackend broker, final EventLoop loop, final Topic topic)
    {
        this.broker = broker;
        this.loop = loop;
        this.topic = topic;
        this.queue = new PublishQueue(broker, loop, () ->
        {
        }, false);
    }

    /**
     * Starts publishing every {@code intervalMs} to the given topic (on a cluster, the node's own under {@link
     * #TOPIC}, so that the nodes' numbers, which all go through the shared stream, do not interleave).
     *
     * @return the feed, or null when the topic cannot be registered (topic limit reached).
     */
    public static StatsFeed start(
        final StatsBackend broker, final EventLoop loop, final long intervalMs, final String topicName)
    {
        final Topic topic = broker.topics().lookupOrCreate(topicName);
        if (null == topic)
        {
            LOG.warn("no room for the {} topic: the dashboard gets no numbers", topicName);
            return null;
        }
        final StatsFeed feed = new StatsFeed(broker, loop, topic);
        loop.execute(() ->
        {
            feed.lastIn = broker.eventsSequenced();
            feed.lastOut = broker.deliveries();
            feed.task = loop.scheduleAtFixedRate(feed::publish, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
        });
        return feed;
    }

    /**
     * Stops publishing. Any thread.
     */
    public void close()
    {
        loop.execute(() ->
        {
            if (null != task)
            {
                task.cancel(false);
            }
            queue.close();
        });
    }

    private void publish()
    {
        // Nobody watching, nothing published: the feed costs nothing and leaves every other count alone.
        if (broker.isClosing())
        {
            return;
        }
        if (0 == topic.subscribers())
        {
            // Start the next watcher's first interval now, not at the last published one.
            lastNs = System.nanoTime();
            lastIn = broker.eventsSequenced();
            lastOut = broker.deliveries();
            broker.deliveryMetrics().recent();
            return;
        }
        final byte[] json = snapshot().getBytes(StandardCharsets.UTF_8);
        final ByteBuf message = broker.allocator().buffer(EVENT.length + json.length).writeBytes(EVENT).writeBytes(json);
        queue.submit(message, topic.index(), 0, EVENT.length, this);
    }

    /**
     * @return the numbers as one JSON object; the rates are over the time since the previous call.
     */
    String snapshot()
    {
        final long nowNs = System.nanoTime();
        final long in = broker.eventsSequenced();
        final long out = broker.deliveries();
        final double seconds = Math.max(1e-3, (nowNs - lastNs) / 1e9);
        final double inPerS = (in - lastIn) / seconds;
        final double outPerS = (out - lastOut) / seconds;
        lastNs = nowNs;
        lastIn = in;
        lastOut = out;
        final long[] latency = broker.deliveryMetrics().recent();
        final long[] lag = broker.deliveryMetrics().lag();
        final StringBuilder json = new StringBuilder(512)
            .append("{\"ts\":").append(System.currentTimeMillis())
            .append(",\"uptimeS\":").append((System.currentTimeMillis() - startedMs) / 1000)
            .append(",\"subscribers\":{\"http1\":").append(broker.httpMetrics().subscribers(Protocol.HTTP_1_1))
            .append(",\"h2\":").append(broker.httpMetrics().subscribers(Protocol.HTTP_2))
            .append(",\"total\":").append(broker.subscribers())
            .append("},\"eventsIn\":").append(in)
            .append(",\"eventsOut\":").append(out)
            .append(",\"eventsInPerS\":").append(String.format(Locale.ROOT, "%.1f", inPerS))
            .append(",\"eventsOutPerS\":").append(String.format(Locale.ROOT, "%.1f", outPerS))
            .append(",\"evictions\":{");
        boolean first = true;
        for (final EvictionReason reason : EvictionReason.values())
        {
            json.append(first ? "" : ",").append('"').append(reason.metricLabel()).append("\":").append(broker.evictions(reason));
            first = false;
        }
        json.append("},\"lag\":{\"max\":").append(lag[0]).append(",\"p99\":").append(lag[1])
            .append("},\"latencyUs\":{\"p50\":").append(latency[0])
            .append(",\"p99\":").append(latency[1])
            .append(",\"p999\":").append(latency[2])
            .append(",\"max\":").append(latency[3])
            .append(",\"count\":").append(latency[4])
            .append("},\"topics\":").append(broker.topics().count())
            .append('}');
        return json.toString();
    }

    @Override
    public void onPublished(final long id)
    {
    }

    @Override
    public void onRejected(final HttpRejection rejection)
    {
        LOG.debug("stats event not taken: {}", rejection.reason());
    }
}

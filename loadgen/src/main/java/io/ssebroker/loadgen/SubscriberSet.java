package io.ssebroker.loadgen;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.ssebroker.client.NettyTransport;
import org.HdrHistogram.Histogram;

/**
 * The subscriber streams of this process: their connections spread round-robin over the event loops and the
 * source addresses, opened at an even pace over the ramp.
 * <p>
 * <b>Threading:</b> created, ramped, sampled and stopped by the command's thread; the connections run on the
 * event loops.
 */
final class SubscriberSet
{
    private final EventLoopGroup group;
    private final LoopStats[] stats;
    private final List<SubscriberConnection> connections = new ArrayList<>();
    private final int subscribers;
    private final long rampStartNs;
    private final long rampNs;
    private int opened;
    private long connectedAtStop;

    /**
     * @param target            subscriber URL per topic.
     * @param protocol          {@code h1} or {@code h2}.
     * @param streamsPerConnection streams per h2c connection.
     * @param firstSubscriber   global index of this process's first subscriber; topic = index % topics.
     * @param subscribers       number of subscribers in this process.
     * @param schedule          the publisher's plan.
     * @param sourceAddresses   local addresses to bind, round-robin; empty to let the kernel choose.
     * @param threads           event loops.
     * @param reconnectDelayMs  delay before reconnecting.
     * @param resume            whether to resume with {@code Last-Event-ID}.
     * @param rampStartNs       when the first connection opens.
     * @param rampNs            time over which all connections open.
     * @param drops             when streams drop themselves.
     * @param startAfterId      {@code Last-Event-ID} of every stream's first request; null for none.
     * @param checkExact        whether to hold every stream to the exact delivery check.
     */
    SubscriberSet(
        final SubscribeTarget target,
        final String protocol,
        final int streamsPerConnection,
        final int firstSubscriber,
        final int subscribers,
        final Schedule schedule,
        final List<InetSocketAddress> sourceAddresses,
        final int threads,
        final long reconnectDelayMs,
        final boolean resume,
        final long rampStartNs,
        final long rampNs,
        final DropPolicy drops,
        final String startAfterId,
        final boolean checkExact)
    {
        this.subscribers = subscribers;
        this.rampStartNs = rampStartNs;
        this.rampNs = rampNs;
        this.group = NettyTransport.newEventLoopGroup(threads, "loadgen-sub");
        final List<EventLoop> loops = new ArrayList<>();
        for (final EventExecutor executor : group)
        {
            loops.add((EventLoop)executor);
        }
        this.stats = new LoopStats[loops.size()];
        for (int i = 0; i < stats.length; i++)
        {
            stats[i] = new LoopStats();
        }

        final boolean h2 = "h2".equals(protocol);
        final int perConnection = h2 ? streamsPerConnection : 1;
        int index = 0;
        for (int c = 0; index < subscribers; c++)
        {
            final int loopIndex = c % loops.size();
            final InetSocketAddress local = sourceAddresses.isEmpty() ?
                null : sourceAddresses.get((firstSubscriber / perConnection + c) % sourceAddresses.size());
            final int count = Math.min(perConnection, subscribers - index);
            final SubscriberStream[] streams = new SubscriberStream[count];
            for (int s = 0; s < count; s++, index++)
            {
                final int subscriber = firstSubscriber + index;
                final int topic = subscriber % schedule.topics();
                streams[s] = new SubscriberStream(
                    subscriber, topic, stats[loopIndex], schedule, resume, drops, startAfterId, checkExact);
            }
            connections.add(h2 ?
                new H2cConnection(loops.get(loopIndex), target, local, streams, reconnectDelayMs) :
                new Http1Connection(loops.get(loopIndex), target, local, streams[0], reconnectDelayMs));
        }
    }

    /**
     * Opens the connections whose turn in the ramp has come.
     *
     * @param nowNs current time.
     * @return connections opened by this call.
     */
    int openDue(final long nowNs)
    {
        final int total = connections.size();
        final long elapsedNs = nowNs - rampStartNs;
        if (elapsedNs < 0)
        {
            return 0;
        }
        final int due = rampNs <= 0 || elapsedNs >= rampNs ?
            total : (int)Math.min(total, (elapsedNs * (long)total) / rampNs + 1);
        int count = 0;
        while (opened < due)
        {
            connections.get(opened++).start();
            count++;
        }
        return count;
    }

    /**
     * @param counter a {@link LoopStats} counter.
     * @return its sum over the event loops.
     */
    long sum(final int counter)
    {
        long sum = 0;
        for (final LoopStats loopStats : stats)
        {
            sum += loopStats.get(counter);
        }
        return sum;
    }

    /**
     * Adds every loop's latencies since the last call to a histogram.
     *
     * @param into destination.
     */
    void addIntervalHistograms(final Histogram into)
    {
        for (final LoopStats loopStats : stats)
        {
            into.add(loopStats.recorder().getIntervalHistogram());
        }
    }

    /**
     * @return true when every planned drop is made (or given up), no stream is down after one, and every stream's
     *         exact check has its verdict (meaningful with the check on).
     */
    boolean settled()
    {
        return 0 == sum(LoopStats.DROPS_LEFT) && 0 == sum(LoopStats.DOWN) && subscribers == sum(LoopStats.SETTLED);
    }

    /**
     * @return the most recent connection error of any loop, or null.
     */
    String lastError()
    {
        for (final LoopStats loopStats : stats)
        {
            if (null != loopStats.lastError())
            {
                return loopStats.lastError();
            }
        }
        return null;
    }

    /**
     * Closes the books of every stream and every connection, then stops the event loops. After it returns
     * the counters and window histograms are final and visible to the caller.
     */
    void stop()
    {
        connectedAtStop = sum(LoopStats.CONNECTED);
        for (final SubscriberConnection connection : connections)
        {
            connection.stop();
        }
        // Graceful shutdown runs the stop tasks queued above before the loops terminate; termination
        // happens-before awaitTermination returning, which publishes the loops' plain writes to this thread.
        group.shutdownGracefully(100, 5_000, TimeUnit.MILLISECONDS);
        try
        {
            group.awaitTermination(30, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * @return descriptions of failed exact checks, at most {@link LoopStats#MAX_FAILURES_DESCRIBED} per event
     *         loop; call after {@link #stop()}.
     */
    List<String> failures()
    {
        final List<String> failures = new ArrayList<>();
        for (final LoopStats loopStats : stats)
        {
            failures.addAll(loopStats.failures());
        }
        return failures;
    }

    /**
     * @return this process's share of the totals; call after {@link #stop()}.
     */
    LoadSummary summary()
    {
        final LoadSummary summary = new LoadSummary()
            .counter(LoadSummary.SUBSCRIBERS, subscribers)
            .counter(LoadSummary.CONNECTED, connectedAtStop)
            .counter(LoadSummary.RECEIVED, sum(LoopStats.RECEIVED))
            .counter(LoadSummary.DELIVERED, sum(LoopStats.DELIVERED))
            .counter(LoadSummary.EXPECTED, sum(LoopStats.EXPECTED))
            .counter(LoadSummary.GAPS, sum(LoopStats.GAPS))
            .counter(LoadSummary.GAPS_AFTER_RESET, sum(LoopStats.GAPS_AFTER_RESET))
            .counter(LoadSummary.DUPLICATES, sum(LoopStats.DUPLICATES))
            .counter(LoadSummary.REORDERED, sum(LoopStats.REORDERED))
            .counter(LoadSummary.MISSING_AT_END, sum(LoopStats.MISSING_AT_END))
            .counter(LoadSummary.OTHER_EVENTS, sum(LoopStats.OTHER_EVENTS))
            .counter(LoadSummary.CONNECT_ERRORS, sum(LoopStats.CONNECT_ERRORS))
            .counter(LoadSummary.DISCONNECTS, sum(LoopStats.DISCONNECTS))
            .counter(LoadSummary.RECONNECTS, sum(LoopStats.RECONNECTS))
            .counter(LoadSummary.SELF_DROPS, sum(LoopStats.SELF_DROPS))
            .counter(LoadSummary.DROPS_NOT_MADE, sum(LoopStats.DROPS_NOT_MADE))
            .counter(LoadSummary.NOT_BACK, sum(LoopStats.NOT_BACK))
            .counter(LoadSummary.RESETS, sum(LoopStats.RESETS))
            .counter(LoadSummary.CHECKED, sum(LoopStats.CHECKED))
            .counter(LoadSummary.CHECK_FAILED, sum(LoopStats.CHECK_FAILED))
            .counter(LoadSummary.UNION_MISSING, sum(LoopStats.UNION_MISSING))
            .counter(LoadSummary.UNION_DUPLICATES, sum(LoopStats.UNION_DUPLICATES))
            .counter(LoadSummary.UNION_OUTSIDE, sum(LoopStats.UNION_OUTSIDE))
            .counter(LoadSummary.NEVER_CONNECTED, sum(LoopStats.NEVER_CONNECTED))
            .counter(LoadSummary.LATE_DROPS, sum(LoopStats.LATE_DROPS));
        long lastDropNs = 0;
        long lastBackNs = 0;
        for (final LoopStats loopStats : stats)
        {
            summary.histogram().add(loopStats.windowHistogram());
            summary.reconnectHistogram().add(loopStats.reconnectHistogram());
            lastDropNs = Math.max(lastDropNs, loopStats.lastDropAfterOriginNs());
            lastBackNs = Math.max(lastBackNs, loopStats.lastBackAfterOriginNs());
        }
        summary.counter(LoadSummary.LAST_DROP_NS, lastDropNs).counter(LoadSummary.LAST_BACK_NS, lastBackNs);
        return summary;
    }
}

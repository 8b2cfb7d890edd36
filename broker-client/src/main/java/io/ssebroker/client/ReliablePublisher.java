package io.ssebroker.client;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import io.netty.channel.EventLoopGroup;

/**
 * A publisher that delivers every event exactly once across lost connections (ingest protocol
 * version 2): it numbers its events, keeps each until the broker answers it, and when the
 * connection ends it reconnects and resends, in order, everything still unanswered. The broker
 * takes each number once and answers a resend with the id the first copy got, so the caller's
 * future completes with the one id its event has.
 *
 * <pre>
 *   publish ──► seq = next++ ──► unanswered[seq] ──► client.publish(seq, …)
 *                                     │ ACK: complete, remove          │ connection lost
 *                                     └──────── resend in order ◄── reconnect (back-off) ◄┘
 * </pre>
 *
 * The first connection starts numbering after the highest sequence the broker already holds from
 * this publisher id ({@code WELCOME}'s lastPublisherSeq), so a restarted process never reuses a number.
 * A frame-level rejection (bad topic, bad data, {@link IngestErrorCode#SEQUENCE_TAKEN}) is final and
 * fails that future; connection-level endings (lost connection, {@code SHUTTING_DOWN}, a protocol
 * error) and a cluster node's {@link IngestErrorCode#UNAVAILABLE} reconnect.
 * <p>
 * <b>Failover.</b> Given several brokers (the nodes of a cluster, {@link #connect(IngestClient.Context, List)}), a
 * reconnect goes to the next one in the list, round the list, until one answers. A cluster deduplicates by publisher
 * id and sequence in its shared stream, so the resends are taken once whichever node they reach.
 * <p>
 * <b>Threading:</b> {@link #publish} from any threads, serialised on a lock so that numbering order is
 * wire order; answers run on the client's event loop and never take that lock, so a publish blocked
 * on a full window cannot hold up the acknowledgements that free it. Reconnects run on one thread of
 * their own.
 */
public final class ReliablePublisher implements AutoCloseable
{
    private static final long MAX_BACKOFF_MS = 1000;

    private final IngestClient.Context context;
    /** Brokers to connect to, in order of preference; a reconnect moves to the next. */
    private final List<InetSocketAddress> brokers;
    // Reconnect thread (and the first connect).
    private int current;
    private final EventLoopGroup group;
    private final ExecutorService reconnector;
    private final Object lock = new Object();
    private final Map<Long, Unanswered> unanswered = new ConcurrentSkipListMap<>();
    private final AtomicLong reconnects = new AtomicLong();

    // Guarded by lock.
    private IngestClient client;
    private long nextSeq;
    // Written under the lock; read without it by answers on the event loop.
    private volatile boolean closed;

    private ReliablePublisher(final IngestClient.Context context, final List<InetSocketAddress> brokers)
    {
        this.group = NettyTransport.newEventLoopGroup(1, "reliable-publisher");
        this.context = context.group(group);
        this.brokers = List.copyOf(brokers);
        this.reconnector = Executors.newSingleThreadExecutor(r ->
        {
            final Thread thread = new Thread(r, "reliable-publisher-reconnect");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Connects and waits for {@code WELCOME}.
     *
     * @param context settings, with a {@link IngestClient.Context#publisherId}; its event loop group is replaced
     *                by one this publisher owns.
     * @throws IngestException when the first connection fails.
     */
    public static ReliablePublisher connect(final IngestClient.Context context)
    {
        return connect(context, List.of(InetSocketAddress.createUnresolved(context.host(), context.port())));
    }

    /**
     * Connects to the first of several brokers (the nodes of one cluster) and waits for {@code WELCOME}; reconnects
     * move along the list.
     *
     * @param context settings, with a {@link IngestClient.Context#publisherId}; its host and port are replaced by
     *                each broker's in turn, its event loop group by one this publisher owns.
     * @param brokers at least one ingest address.
     * @throws IngestException when the first broker cannot be reached.
     */
    public static ReliablePublisher connect(final IngestClient.Context context, final List<InetSocketAddress> brokers)
    {
        if (null == context.publisherId())
        {
            throw new IllegalArgumentException("a ReliablePublisher needs Context.publisherId");
        }
        if (brokers.isEmpty())
        {
            throw new IllegalArgumentException("a ReliablePublisher needs at least one broker");
        }
        final ReliablePublisher publisher = new ReliablePublisher(context, brokers);
        publisher.aim(0);
        try
        {
            synchronized (publisher.lock)
            {
                publisher.client = IngestClient.connect(publisher.context);
                publisher.nextSeq = publisher.client.lastPublisherSeq() + 1;
            }
            return publisher;
        }
        catch (final RuntimeException ex)
        {
            publisher.close();
            throw ex;
        }
    }

    /**
     * Publishes; blocks while the window is full or a reconnect is under way.
     *
     * @return completes with the event's id once the broker has it, whatever connection answered;
     *         exceptionally only for a frame-level rejection or {@link #close()}.
     */
    public CompletableFuture<Long> publish(final String topic, final String event, final byte[] data)
    {
        final CompletableFuture<Long> future = new CompletableFuture<>();
        synchronized (lock)
        {
            // No connection: a reconnect is under way. Wait for it rather than queue without bound.
            while (null == client && !closed)
            {
                try
                {
                    lock.wait(MAX_BACKOFF_MS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    future.completeExceptionally(new IngestException(IngestErrorCode.CLOSED_BY_CLIENT, 0, "interrupted"));
                    return future;
                }
            }
            if (closed)
            {
                future.completeExceptionally(new IngestException(IngestErrorCode.CLOSED_BY_CLIENT, 0, "publisher closed"));
                return future;
            }
            final Unanswered entry = new Unanswered(nextSeq++, topic, event, data.clone(), future);
            unanswered.put(entry.seq, entry);
            send(client, entry);
        }
        return future;
    }

    /**
     * @return connections opened after the first.
     */
    public long reconnects()
    {
        return reconnects.get();
    }

    /**
     * @return events published and not yet answered.
     */
    public int unanswered()
    {
        return unanswered.size();
    }

    /**
     * Waits up to the context's close timeout for every event to be answered, then closes.
     */
    @Override
    public void close()
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(context.closeTimeoutMs());
        while (!unanswered.isEmpty() && deadlineNs - System.nanoTime() > 0)
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        final IngestClient last;
        synchronized (lock)
        {
            closed = true;
            last = client;
            client = null;
            lock.notifyAll();
        }
        reconnector.shutdownNow();
        if (null != last)
        {
            last.close(0);
        }
        final IngestException cause = new IngestException(IngestErrorCode.CLOSED_BY_CLIENT, 0, "publisher closed");
        for (final Unanswered entry : unanswered.values())
        {
            entry.future.completeExceptionally(cause);
        }
        unanswered.clear();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Caller holds the lock. */
    private void send(final IngestClient via, final Unanswered entry)
    {
        entry.sentOn = via;
        via.publish(entry.seq, entry.topic, entry.event, entry.data).whenComplete((id, failure) ->
        {
            if (null == failure)
            {
                unanswered.remove(entry.seq);
                entry.future.complete(id);
                return;
            }
            final int code = failure instanceof IngestException ? ((IngestException)failure).code() : IngestErrorCode.CONNECTION_CLOSED;
            if (IngestErrorCode.isFrameLevel(code) && IngestErrorCode.UNAVAILABLE != code)
            {
                unanswered.remove(entry.seq);
                entry.future.completeExceptionally(failure);
            }
            else if (entry.sentOn == via && !closed)
            {
                try
                {
                    reconnector.execute(() -> reconnect(via));
                }
                catch (final java.util.concurrent.RejectedExecutionException ex)
                {
                    // Closing: close() fails what is left.
                }
            }
        });
    }

    private void reconnect(final IngestClient failed)
    {
        long backoffMs = 10;
        while (true)
        {
            synchronized (lock)
            {
                if (closed || client != failed && null != client)
                {
                    return; // Closed, or another reconnect already replaced it.
                }
                client = null;
                failed.close(0);
                if (brokers.size() > 1)
                {
                    aim(current + 1);
                }
                try
                {
                    final IngestClient fresh = IngestClient.connect(context);
                    client = fresh;
                    reconnects.incrementAndGet();
                    // In sequence order: the broker requires increasing sequences on a connection.
                    for (final Unanswered entry : unanswered.values())
                    {
                        send(fresh, entry);
                    }
                    lock.notifyAll();
                    return;
                }
                catch (final IngestException ex)
                {
                    // Broker away or refusing: try again after a pause, publishers wait on the lock meanwhile.
                }
            }
            try
            {
                Thread.sleep(backoffMs);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
            backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        }
    }

    /** Points the context at broker {@code index} (modulo the list). */
    private void aim(final int index)
    {
        current = index % brokers.size();
        final InetSocketAddress broker = brokers.get(current);
        context.host(broker.getHostString()).port(broker.getPort());
    }

    private static final class Unanswered
    {
        final long seq;
        final String topic;
        final String event;
        final byte[] data;
        final CompletableFuture<Long> future;
        volatile IngestClient sentOn;

        Unanswered(final long seq, final String topic, final String event, final byte[] data, final CompletableFuture<Long> future)
        {
            this.seq = seq;
            this.topic = topic;
            this.event = event;
            this.data = data;
            this.future = future;
        }
    }
}

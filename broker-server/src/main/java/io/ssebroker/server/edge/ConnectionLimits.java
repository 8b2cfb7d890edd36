package io.ssebroker.server.edge;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.Channel;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.metrics.Counter;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps the connections the broker holds, in total and per source address, over every port: a
 * flood of idle or slow connections from one place cannot take the file descriptors everyone else
 * needs. A connection over a cap is told so where its protocol allows it before any byte is read
 * (a plain-text 503 on the HTTP port, an ingest {@code ERROR}; TLS is closed), counted, and closed.
 * <p>
 * <b>Threading:</b> {@link #admit} from any event loop; counts are atomic and released when the
 * channel closes.
 */
public final class ConnectionLimits
{
    private final int maxTotal;
    private final int maxPerAddress;
    private final BrokerCounters counters;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();

    /**
     * @param maxTotal      connections over all ports, 0 for no limit.
     * @param maxPerAddress connections from one source address, 0 for no limit.
     */
    public ConnectionLimits(final int maxTotal, final int maxPerAddress, final BrokerCounters counters)
    {
        this.maxTotal = maxTotal;
        this.maxPerAddress = maxPerAddress;
        this.counters = counters;
    }

    /**
     * Counts a new connection, or refuses it.
     *
     * @param refusal bytes to write before closing a refused connection, or null to close at once.
     * @return true when admitted; false when it was refused and is being closed.
     */
    public boolean admit(final Channel channel, final byte[] refusal)
    {
        // Only IP connections have a source address to cap; an in-memory channel counts in the total.
        final InetAddress address = channel.remoteAddress() instanceof InetSocketAddress ?
            ((InetSocketAddress)channel.remoteAddress()).getAddress() : null;
        if (total.incrementAndGet() > maxTotal && maxTotal > 0)
        {
            total.decrementAndGet();
            refuse(channel, refusal, Counter.CONNECTIONS_REFUSED_TOTAL);
            return false;
        }
        if (maxPerAddress > 0 && null != address)
        {
            final AtomicInteger count = perAddress.computeIfAbsent(address, a -> new AtomicInteger());
            if (count.incrementAndGet() > maxPerAddress)
            {
                release(address, count);
                total.decrementAndGet();
                refuse(channel, refusal, Counter.CONNECTIONS_REFUSED_PER_ADDRESS);
                return false;
            }
            channel.closeFuture().addListener(f ->
            {
                release(address, count);
                total.decrementAndGet();
            });
        }
        else
        {
            channel.closeFuture().addListener(f -> total.decrementAndGet());
        }
        return true;
    }

    /** Connections held now over every port. */
    public int total()
    {
        return total.get();
    }

    private void release(final InetAddress address, final AtomicInteger count)
    {
        if (0 == count.decrementAndGet())
        {
            perAddress.remove(address, count);
        }
    }

    private void refuse(final Channel channel, final byte[] refusal, final Counter reason)
    {
        counters.increment(reason);
        if (null == refusal)
        {
            channel.close();
        }
        else
        {
            channel.writeAndFlush(Unpooled.wrappedBuffer(refusal)).addListener(ChannelFutureListener.CLOSE);
        }
    }
}

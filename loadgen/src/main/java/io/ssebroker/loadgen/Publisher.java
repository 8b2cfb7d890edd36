package io.ssebroker.loadgen;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Publishes the {@link Schedule} on a thread of its own: waits for each event's intended send time, writes the
 * sequence and that time into the payload and offers it, retrying while the transport is back-pressured.
 * A late event keeps its intended time, so its latency includes the wait (no coordinated omission).
 * <p>
 * <b>Threading:</b> {@link #run()} on the publisher thread; counters are atomics read by the progress thread;
 * transports may count answers from their own threads.
 */
abstract class Publisher implements Runnable, AutoCloseable
{
    private static final long RETRY_PARK_NS = 20_000;

    protected final Schedule schedule;
    protected final int payloadBytes;
    protected final AtomicLong sent = new AtomicLong();
    protected final AtomicLong acked = new AtomicLong();
    protected final AtomicLong failed = new AtomicLong();
    private final AtomicLong abandoned = new AtomicLong();
    private final AtomicLong maxLagNs = new AtomicLong();
    private final long deadlineNs;
    private volatile boolean stopped;
    private volatile String lastError;

    /**
     * @param schedule     the plan.
     * @param payloadBytes size of each event's data.
     * @param deadlineNs   time after which events still held back by back-pressure are abandoned (counted
     *                     apart from failures: being slowed down is not an error).
     */
    Publisher(final Schedule schedule, final int payloadBytes, final long deadlineNs)
    {
        this.schedule = schedule;
        this.payloadBytes = payloadBytes;
        this.deadlineNs = deadlineNs;
    }

    /**
     * Offers one event; must not block for long.
     *
     * @param topic  topic index.
     * @param data   payload, valid until the call returns.
     * @param length payload length.
     * @return true when taken, false when back-pressured (the caller retries).
     */
    protected abstract boolean offer(int topic, byte[] data, int length);

    /**
     * Waits up to the deadline for answers to everything sent.
     *
     * @param deadlineNs when to give up.
     */
    protected abstract void drain(long deadlineNs);

    /**
     * {@inheritDoc}
     */
    public void run()
    {
        final Schedule schedule = this.schedule;
        final byte[] payload = new byte[payloadBytes];
        final long total = schedule.totalEvents();
        long n = 0;
        try
        {
            for (; n < total && !stopped; n++)
            {
                final long intendedNs = schedule.intendedNs(n);
                long nowNs = System.nanoTime();
                while (intendedNs - nowNs > 0)
                {
                    LockSupport.parkNanos(intendedNs - nowNs);
                    nowNs = System.nanoTime();
                }
                Payload.encode(payload, payloadBytes, schedule.topicSeq(n), intendedNs);
                final int topic = schedule.topic(n);
                while (!offer(topic, payload, payloadBytes))
                {
                    if (stopped || deadlineNs - System.nanoTime() < 0)
                    {
                        abandoned.addAndGet(total - n);
                        lastError("publisher back-pressured past the deadline; " + (total - n) + " events not sent");
                        return;
                    }
                    LockSupport.parkNanos(RETRY_PARK_NS);
                }
                sent.incrementAndGet();
                final long lagNs = System.nanoTime() - intendedNs;
                if (lagNs > maxLagNs.get())
                {
                    maxLagNs.set(lagNs);
                }
            }
            drain(deadlineNs);
        }
        catch (final RuntimeException ex)
        {
            failed.addAndGet(total - n);
            lastError("publisher stopped: " + ex);
        }
    }

    /**
     * Closes the transport.
     */
    public abstract void close();

    /**
     * Stops publishing at the next event.
     */
    void stop()
    {
        stopped = true;
    }

    long sent()
    {
        return sent.get();
    }

    long acked()
    {
        return acked.get();
    }

    long failed()
    {
        return failed.get();
    }

    /**
     * @return events never sent because back-pressure held them past the run's deadline.
     */
    long abandoned()
    {
        return abandoned.get();
    }

    /**
     * @return the largest delay between an event's intended and actual send time.
     */
    long maxLagNs()
    {
        return maxLagNs.get();
    }

    String lastError()
    {
        return lastError;
    }

    protected void lastError(final String error)
    {
        lastError = error;
    }
}

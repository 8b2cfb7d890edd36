package io.ssebroker.fanout;

/**
 * Runs a task on a fan-out's own event loop after a delay: the loop's scheduler in the server (Netty's
 * {@code EventLoop.schedule}), a hand-driven one in tests.
 */
@FunctionalInterface
public interface LoopTimer
{
    /**
     * @param task    run once, on the loop, no earlier than {@code delayNs} from now.
     * @param delayNs nanoseconds to wait; 0 for as soon as possible.
     */
    void schedule(Runnable task, long delayNs);
}

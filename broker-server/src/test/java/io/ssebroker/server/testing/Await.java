package io.ssebroker.server.testing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Waits for a condition with a deadline, polling every millisecond: the only way a test waits for
 * something another thread does, so a slow machine makes a test slower, not wrong.
 */
public final class Await
{
    private Await()
    {
    }

    /**
     * Returns as soon as the condition holds; fails the test naming what was awaited otherwise.
     */
    public static void until(final String what, final BooleanSupplier condition, final Duration timeout)
    {
        until(() -> what, condition, timeout);
    }

    /**
     * As above, with the description computed only on failure, so it can report the state that
     * made the wait fail.
     */
    public static void until(
        final java.util.function.Supplier<String> what, final BooleanSupplier condition, final Duration timeout)
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("timed out after " + timeout.toMillis() + " ms waiting for " + what.get());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /**
     * {@link #until} with a ten second deadline.
     */
    public static void until(final String what, final BooleanSupplier condition)
    {
        until(what, condition, Duration.ofSeconds(10));
    }
}

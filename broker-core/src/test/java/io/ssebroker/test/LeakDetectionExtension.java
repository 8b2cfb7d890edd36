package io.ssebroker.test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.JdkLoggerFactory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Turns Netty's leak reports into test failures. Registered for every test class through JUnit's
 * extension auto-detection (see {@code META-INF/services}); the build runs tests with
 * {@code -Dio.netty.leakDetection.level=paranoid}, so every buffer is tracked.
 * <p>
 * Netty reports a leak when a tracked buffer is garbage collected without having been released,
 * and it notices that while tracking a later allocation. After each test class this extension
 * therefore runs the collector and allocates a few buffers, then fails the class if any report
 * was logged since it started.
 */
public final class LeakDetectionExtension implements BeforeAllCallback, AfterAllCallback
{
    private static final Logger DETECTOR_LOGGER = Logger.getLogger(ResourceLeakDetector.class.getName());
    private static final List<String> REPORTS = new ArrayList<>();
    private static boolean installed;

    @Override
    public void beforeAll(final ExtensionContext context)
    {
        install();
        if (ResourceLeakDetector.getLevel() != ResourceLeakDetector.Level.PARANOID &&
            null == System.getProperty("io.netty.leakDetection.level"))
        {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        }
        synchronized (REPORTS)
        {
            REPORTS.clear();
        }
    }

    @Override
    public void afterAll(final ExtensionContext context)
    {
        final List<String> reports = detectNow();
        if (!reports.isEmpty())
        {
            fail("Netty reported " + reports.size() + " buffer leak(s) in " + context.getDisplayName() + ":\n" +
                String.join("\n----\n", reports));
        }
    }

    /**
     * Collects garbage, provokes Netty's detector and returns (and forgets) the leaks reported since
     * the last call.
     */
    public static List<String> detectNow()
    {
        install();
        for (int round = 0; round < 3; round++)
        {
            System.gc();
            System.runFinalization();
            provokeDetection();
        }
        synchronized (REPORTS)
        {
            final List<String> reports = new ArrayList<>(REPORTS);
            REPORTS.clear();
            return reports;
        }
    }

    private static void provokeDetection()
    {
        for (int i = 0; i < 64; i++)
        {
            final ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer(16);
            pooled.release();
            final ByteBuf unpooled = UnpooledByteBufAllocator.DEFAULT.heapBuffer(16);
            unpooled.release();
        }
    }

    private static synchronized void install()
    {
        if (installed)
        {
            return;
        }
        installed = true;
        // Netty logs through SLF4J when an SLF4J provider is on the class path (logback in broker-cli's tests):
        // its leak reports would then never reach this handler. Pin Netty to java.util.logging before the
        // detector's logger is created, and prove below that a leak is seen.
        InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
        DETECTOR_LOGGER.addHandler(new Handler()
        {
            @Override
            public void publish(final LogRecord record)
            {
                final String message = record.getMessage();
                if (record.getLevel().intValue() >= Level.SEVERE.intValue() && null != message && message.contains("LEAK"))
                {
                    synchronized (REPORTS)
                    {
                        REPORTS.add(message);
                    }
                }
            }

            @Override
            public void flush()
            {
            }

            @Override
            public void close()
            {
            }
        });
        proveReportsArrive();
    }

    /**
     * Leaks one buffer on purpose and fails unless the report arrives: a leak check that cannot see leaks must not
     * pass silently.
     */
    private static void proveReportsArrive()
    {
        final ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        try
        {
            leakOne();
            for (int round = 0; round < 10; round++)
            {
                System.gc();
                System.runFinalization();
                provokeDetection();
                synchronized (REPORTS)
                {
                    if (!REPORTS.isEmpty())
                    {
                        REPORTS.clear();
                        return;
                    }
                }
            }
            throw new IllegalStateException("Netty's leak reports do not reach the leak check (logger factory " +
                InternalLoggerFactory.getDefaultFactory().getClass().getName() + "): buffer leaks would pass unseen");
        }
        finally
        {
            ResourceLeakDetector.setLevel(level);
        }
    }

    private static void leakOne()
    {
        // Pooled: the unpooled allocator does not track heap buffers.
        PooledByteBufAllocator.DEFAULT.heapBuffer(16).writeByte(1);
    }
}

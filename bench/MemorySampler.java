import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import com.sun.management.GarbageCollectorMXBean;
import com.sun.tools.attach.VirtualMachine;

/**
 * Samples a running JVM's memory once a second for a bounded time, from one process, so sampling costs
 * next to nothing (a {@code jcmd} per sample costs a third of a CPU-second each):
 * heap in use, heap after the most recent GC (the live set, summed over the pools), direct buffers
 * ({@code BufferPoolMXBean} "direct": Netty's pooled arenas on JDK 17 without reflective access), and the
 * process RSS from {@code /proc}.
 * <p>
 * Prints one line per sample, then the maximum of each and the least-squares slope over the run (bytes
 * per minute), the figures the soak runs record:
 * <pre>
 *   java bench/MemorySampler.java PID SECONDS [GC_EVERY_SECONDS]
 * </pre>
 * With {@code GC_EVERY_SECONDS} it asks for a full GC that often, so "heap after GC" is a fresh live set
 * and not the leftovers of whichever young collection ran last.
 */
public final class MemorySampler
{
    public static void main(final String[] args) throws Exception
    {
        final String pid = args[0];
        final int seconds = Integer.parseInt(args[1]);
        final int gcEvery = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        final VirtualMachine vm = VirtualMachine.attach(pid);
        final String address = vm.startLocalManagementAgent();
        vm.detach();
        try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(address)))
        {
            final MBeanServerConnection server = connector.getMBeanServerConnection();
            final MemoryMXBean memory = ManagementFactory.newPlatformMXBeanProxy(
                server, ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class);
            final List<GarbageCollectorMXBean> collectors = ManagementFactory.getPlatformMXBeans(
                server, GarbageCollectorMXBean.class);
            BufferPoolMXBean direct = null;
            for (final BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(server, BufferPoolMXBean.class))
            {
                if ("direct".equals(pool.getName()))
                {
                    direct = pool;
                }
            }
            final Series heapUsed = new Series();
            final Series heapAfterGc = new Series();
            final Series directUsed = new Series();
            final Series rss = new Series();
            System.out.println("t_s heap_used_B heap_after_gc_B direct_B rss_B");
            final long startNs = System.nanoTime();
            for (int i = 0; i < seconds; i++)
            {
                final long dueNs = startNs + i * 1_000_000_000L;
                final long sleepMs = (dueNs - System.nanoTime()) / 1_000_000L;
                if (sleepMs > 0)
                {
                    Thread.sleep(sleepMs);
                }
                if (gcEvery > 0 && i > 0 && 0 == i % gcEvery)
                {
                    memory.gc();
                }
                final long used;
                final long afterGc;
                final long directBytes;
                final long rssBytes;
                try
                {
                    used = memory.getHeapMemoryUsage().getUsed();
                    afterGc = afterLastGc(collectors);
                    directBytes = null == direct ? -1 : direct.getMemoryUsed();
                    rssBytes = rss(pid);
                }
                catch (final IOException | RuntimeException ex)
                {
                    System.out.println("# target gone after " + i + " s: " + ex);
                    break;
                }
                heapUsed.add(i, used);
                heapAfterGc.add(i, afterGc);
                directUsed.add(i, directBytes);
                rss.add(i, rssBytes);
                System.out.println(i + " " + used + " " + afterGc + " " + directBytes + " " + rssBytes);
            }
            System.out.println("# max MiB: heap used " + heapUsed.maxMiB() + ", heap after GC " + heapAfterGc.maxMiB() +
                ", direct " + directUsed.maxMiB() + ", RSS " + rss.maxMiB());
            System.out.println("# slope MiB/min: heap after GC " + heapAfterGc.slopeMiBPerMinute(0) +
                ", direct " + directUsed.slopeMiBPerMinute(0) + ", RSS " + rss.slopeMiBPerMinute(0) +
                " (" + rss.size() + " samples)");
            // Warm-up (JIT, pools, histories filling) is over by the second half: growth there is what lasts.
            final int half = rss.size() / 2;
            System.out.println("# second-half slope MiB/min: heap after GC " + heapAfterGc.slopeMiBPerMinute(half) +
                ", direct " + directUsed.slopeMiBPerMinute(half) + ", RSS " + rss.slopeMiBPerMinute(half) +
                " (samples " + half + " to " + rss.size() + ")");
        }
    }

    /** Heap in use just after the most recent collection of each collector, summed over the pools. */
    private static long afterLastGc(final List<GarbageCollectorMXBean> collectors)
    {
        long latestEnd = -1;
        long bytes = 0;
        for (final GarbageCollectorMXBean collector : collectors)
        {
            final com.sun.management.GcInfo info = collector.getLastGcInfo();
            if (null != info && info.getEndTime() > latestEnd)
            {
                latestEnd = info.getEndTime();
                bytes = 0;
                for (final Map.Entry<String, MemoryUsage> pool : info.getMemoryUsageAfterGc().entrySet())
                {
                    if (!pool.getKey().contains("Metaspace") && !pool.getKey().contains("Code") &&
                        !pool.getKey().contains("Class"))
                    {
                        bytes += pool.getValue().getUsed();
                    }
                }
            }
        }
        return bytes;
    }

    private static long rss(final String pid) throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc", pid, "status")))
        {
            if (line.startsWith("VmRSS:"))
            {
                return 1024L * Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }

    /** Samples of one quantity: its maximum and its least-squares slope. */
    private static final class Series
    {
        private final List<long[]> points = new ArrayList<>();

        void add(final long seconds, final long value)
        {
            points.add(new long[]{ seconds, value });
        }

        int size()
        {
            return points.size();
        }

        String maxMiB()
        {
            long max = Long.MIN_VALUE;
            for (final long[] p : points)
            {
                max = Math.max(max, p[1]);
            }
            return points.isEmpty() ? "-" : String.format("%.1f", max / 1048576.0);
        }

        /** Least-squares slope over the samples from index {@code from} on. */
        String slopeMiBPerMinute(final int from)
        {
            final List<long[]> tail = points.subList(Math.min(from, points.size()), points.size());
            final int n = tail.size();
            if (n < 2)
            {
                return "-";
            }
            double sx = 0;
            double sy = 0;
            for (final long[] p : tail)
            {
                sx += p[0];
                sy += p[1];
            }
            final double mx = sx / n;
            final double my = sy / n;
            double sxy = 0;
            double sxx = 0;
            for (final long[] p : tail)
            {
                sxy += (p[0] - mx) * (p[1] - my);
                sxx += (p[0] - mx) * (p[0] - mx);
            }
            return String.format("%+.2f", sxy / sxx * 60 / 1048576.0);
        }
    }
}

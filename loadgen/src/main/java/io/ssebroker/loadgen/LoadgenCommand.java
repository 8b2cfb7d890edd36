package io.ssebroker.loadgen;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

import io.ssebroker.client.NettyTransport;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Command line entry of the load generator: opens subscriber streams, publishes at a fixed rate and reports
 * latency and delivery (see docs/loadgen.md).
 * <p>
 * A run has four phases, all bounded: subscribers ramp up ({@code --ramp-seconds}), publishing starts and runs
 * through the warm-up ({@code --warmup-seconds}) and the measurement window ({@code --duration-seconds}), then
 * subscribers drain ({@code --drain-seconds}) and everything stops. With {@code --processes P > 0} (or
 * automatically above {@value #AUTO_SUBSCRIBERS_PER_PROCESS} subscribers) the subscribers run in P child JVMs
 * and this process publishes, prints merged progress and merges their results.
 * <p>
 * <b>Reconnect storm:</b> with {@code --drops-per-subscriber N} every subscriber closes its own stream N times
 * during publishing and resumes with {@code Last-Event-ID}; with it (or {@code --check-exact}) every subscriber is
 * held to the exact delivery check, and the exit status is {@value #EXIT_CHECK_FAILED} when the check fails.
 * <p>
 * <b>Threading:</b> {@link #call()} runs on the caller's thread, which ramps connections, prints progress and
 * merges results; the publisher and the event loops have their own threads.
 */
@Command(
    name = "loadgen",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Opens SSE subscribers, publishes at a fixed rate and reports latency and delivery.")
public final class LoadgenCommand implements Callable<Integer>
{
    static final int AUTO_SUBSCRIBERS_PER_PROCESS = 15_000;
    /** Exit status of a run whose exact delivery check failed. */
    static final int EXIT_CHECK_FAILED = 2;
    /** Most sequences per topic the exact check keeps a bit for, per subscriber (2 MiB). */
    static final long MAX_CHECKED_SEQUENCES_PER_TOPIC = 1L << 24;
    private static final long NS_PER_S = TimeUnit.SECONDS.toNanos(1);
    private static final long CHILD_START_ALLOWANCE_NS = TimeUnit.SECONDS.toNanos(3);
    /** Longest the drain of a checked run is extended while streams are still coming back or catching up. */
    static final long SETTLE_LIMIT_NS = TimeUnit.SECONDS.toNanos(30);

    @Option(names = "--subscribers", description = "Subscriber streams in all (default: ${DEFAULT-VALUE}).")
    int subscribers = 100;

    @Option(names = "--sub-url", description = "Subscriber URL with {topic} (default: ${DEFAULT-VALUE}).")
    String subUrl = "http://127.0.0.1:8080/events?topic={topic}";

    @Option(names = "--protocol", description = "h1 (one connection per stream) or h2 (h2c prior knowledge) (default: ${DEFAULT-VALUE}).")
    String protocol = "h1";

    @Option(names = "--h2-streams-per-connection", description = "Streams per h2c connection (default: ${DEFAULT-VALUE}).")
    int streamsPerConnection = 100;

    @Option(names = "--topics", description = "Topics t0..t{K-1}; subscriber i reads topic i %% K (default: ${DEFAULT-VALUE}).")
    int topics = 10;

    @Option(names = "--rate", description = "Events per second over all topics, round-robin; 0 publishes nothing (default: ${DEFAULT-VALUE}).")
    long rate = 100;

    @Option(names = "--payload-bytes", description = "Data bytes per event, at least 40 (default: ${DEFAULT-VALUE}).")
    int payloadBytes = 100;

    @Option(names = "--publish", description = "ingest://host:port, or an http:// URL with {topic} for raw-body POST (default: ${DEFAULT-VALUE}).")
    String publish = "ingest://127.0.0.1:7070";

    @Option(names = "--publish-linger-us", description = "Over ingest://, how long a published event may wait to be "
        + "written so that the events published meanwhile share its socket write; 0 writes each at once (default: "
        + "${DEFAULT-VALUE}).")
    long publishLingerUs;

    @Option(names = "--token", description = "Ingest token, if the broker requires one.")
    String token = "";

    @Option(names = "--source-addresses", split = ",", description = "Local addresses to bind before connecting, round-robin (e.g. 127.0.0.2,127.0.0.3).")
    List<String> sourceAddresses = new ArrayList<>();

    @Option(names = "--ramp-seconds", description = "Time over which subscribers connect (default: ${DEFAULT-VALUE}).")
    double rampSeconds = 2;

    @Option(names = "--warmup-seconds", description = "Publishing before the measurement window (default: ${DEFAULT-VALUE}).")
    double warmupSeconds = 2;

    @Option(names = "--duration-seconds", description = "Measurement window (default: ${DEFAULT-VALUE}).")
    double durationSeconds = 10;

    @Option(names = "--drain-seconds", description = "Time after publishing stops for the last events to arrive (default: ${DEFAULT-VALUE}).")
    double drainSeconds = 2;

    @Option(names = "--processes", description = "Child JVMs for subscribers; 0 = automatic, in this process up to " +
        AUTO_SUBSCRIBERS_PER_PROCESS + " subscribers (default: ${DEFAULT-VALUE}).")
    int processes;

    @Option(names = "--child-jvm-options", description = "Options for child JVMs, space-separated (default: ${DEFAULT-VALUE}).")
    String childJvmOptions = "-Xmx1g -Dio.netty.leakDetection.level=disabled";

    @Option(names = "--threads", description = "Event loops per process (default: available processors).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--reconnect-delay-ms", description = "Delay before a lost or refused stream reconnects (default: ${DEFAULT-VALUE}).")
    long reconnectDelayMs = 1000;

    @Option(names = "--no-resume", description = "Reconnect without Last-Event-ID.")
    boolean noResume;

    @Option(names = "--drops-per-subscriber", description = "Times each subscriber closes its own stream during " +
        "publishing, then resumes with Last-Event-ID after the reconnect delay; turns on --check-exact (default: ${DEFAULT-VALUE}).")
    int dropsPerSubscriber;

    @Option(names = "--drop-mode", description = "random: moments drawn per subscriber; burst: all subscribers at the " +
        "same evenly spaced instants (default: ${DEFAULT-VALUE}).")
    String dropMode = "random";

    @Option(names = "--drop-seed", description = "Seed of random drop moments (default: ${DEFAULT-VALUE}).")
    long dropSeed = 1;

    @Option(names = "--check-exact", description = "Check that every subscriber received exactly its topic's " +
        "published sequence, from the first event, over all its connections; exit " + EXIT_CHECK_FAILED + " if not.")
    boolean checkExact;

    @Option(names = "--out", description = "Directory for latency.hgrm and summary.json.")
    Path out;

    @Option(names = "--label", description = "Name of the run in the JSON summary (default: ${DEFAULT-VALUE}).")
    String label = "loadgen";

    @Option(names = "--child", hidden = true, description = "Run as a child: subscribers only, machine-readable output.")
    boolean child;

    @Option(names = "--first-subscriber", hidden = true, description = "Global index of this child's first subscriber.")
    int firstSubscriber;

    @Option(names = "--origin-ns", hidden = true, description = "Schedule origin (System.nanoTime) chosen by the parent.")
    long originNs;

    @Option(names = "--start-after-id", hidden = true, description = "Id of the parent's start marker, for --check-exact.")
    String startAfterId;

    /**
     * Runs the command stand-alone, as child processes do.
     *
     * @param args command line arguments.
     */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new LoadgenCommand()).execute(args));
    }

    /**
     * {@inheritDoc}
     */
    public Integer call() throws Exception
    {
        validate();
        return child ? runChild() : runParent();
    }

    private void validate()
    {
        requireRange("--subscribers", subscribers, 0, 10_000_000);
        requireRange("--topics", topics, 1, 1_000_000);
        requireRange("--rate", rate, 0, 10_000_000);
        requireRange("--payload-bytes", payloadBytes, Payload.MIN_BYTES, 1024 * 1024);
        requireRange("--h2-streams-per-connection", streamsPerConnection, 1, 10_000);
        requireRange("--processes", processes, 0, 64);
        requireRange("--threads", threads, 1, 256);
        requireRange("--reconnect-delay-ms", reconnectDelayMs, 0, 600_000);
        requireRange("--duration-seconds", durationSeconds, 0.001, 86_400);
        requireRange("--warmup-seconds", warmupSeconds, 0, 86_400);
        requireRange("--ramp-seconds", rampSeconds, 0, 86_400);
        requireRange("--drain-seconds", drainSeconds, 0, 3_600);
        if (!"h1".equals(protocol) && !"h2".equals(protocol))
        {
            throw new IllegalArgumentException("--protocol must be h1 or h2, was " + protocol);
        }
        new SubscribeTarget(subUrl, topics);
        requireRange("--drops-per-subscriber", dropsPerSubscriber, 0, 1000);
        DropPolicy.Mode.parse(dropMode);
        if (checkExact())
        {
            if (0 == rate || "none".equals(publish))
            {
                throw new IllegalArgumentException("--check-exact and --drops-per-subscriber need events: --rate > 0 and --publish");
            }
            if (noResume)
            {
                throw new IllegalArgumentException("--check-exact and --drops-per-subscriber need resuming; drop --no-resume");
            }
            if (!publish.startsWith("ingest://"))
            {
                throw new IllegalArgumentException("--check-exact and --drops-per-subscriber need --publish ingest://, " +
                    "whose start marker tells where the run begins, was " + publish);
            }
            final double perTopic = rate * (warmupSeconds + durationSeconds) / topics;
            if (perTopic > MAX_CHECKED_SEQUENCES_PER_TOPIC)
            {
                throw new IllegalArgumentException("--check-exact keeps a bit per event of a topic per subscriber: at most " +
                    MAX_CHECKED_SEQUENCES_PER_TOPIC + " events per topic, was " + (long)perTopic);
            }
        }
        if (dropsPerSubscriber > 0 && drainSeconds * 1000 < reconnectDelayMs + 1000)
        {
            throw new IllegalArgumentException("--drain-seconds must be at least --reconnect-delay-ms + 1 s with " +
                "--drops-per-subscriber, so a stream dropped at the end of publishing comes back, was " + format(drainSeconds));
        }
    }

    private boolean checkExact()
    {
        return checkExact || dropsPerSubscriber > 0;
    }

    private int runParent() throws Exception
    {
        final int children = 0 == processes ?
            (subscribers > AUTO_SUBSCRIBERS_PER_PROCESS ?
                (subscribers + AUTO_SUBSCRIBERS_PER_PROCESS - 1) / AUTO_SUBSCRIBERS_PER_PROCESS : 0) :
            processes;
        final long rampNs = seconds(rampSeconds);
        final long startNs = System.nanoTime() + (children > 0 ? CHILD_START_ALLOWANCE_NS : 0);
        originNs = startNs + rampNs;
        final Schedule schedule = newSchedule();
        final long endNs = schedule.windowEndNs() + seconds(drainSeconds);

        System.out.printf(Locale.ROOT,
            "loadgen: %d subscribers (%s, %s) on %d topics via %s; %d events/s of %d bytes via %s; " +
            "ramp %.1fs, warm-up %.1fs, window %.1fs, drain %.1fs; %s%n",
            subscribers, protocol, NettyTransport.epoll() ? "epoll" : "nio", topics, subUrl, rate, payloadBytes, publish,
            rampSeconds, warmupSeconds, durationSeconds, drainSeconds,
            children > 0 ? children + " child processes" : "in this process");

        if (checkExact())
        {
            final URI uri = ingestUri();
            startAfterId = Long.toString(IngestPublisher.publishStartMarker(uri.getHost(), uri.getPort(), token));
            System.out.println("exact check: every stream starts after the start marker, id " + startAfterId);
        }

        final List<ChildProcess> childProcesses = new ArrayList<>();
        SubscriberSet local = null;
        Publisher publisher = null;
        Thread publisherThread = null;
        try
        {
            if (children > 0)
            {
                int first = 0;
                for (int c = 0; c < children; c++)
                {
                    final int count = subscribers / children + (c < subscribers % children ? 1 : 0);
                    childProcesses.add(ChildProcess.start(c, jvmOptions(), childArgs(first, count)));
                    first += count;
                }
            }
            else
            {
                checkFileLimit(subscribers);
                local = newSubscriberSet(0, subscribers, schedule, startNs);
            }

            if (rate > 0 && !"none".equals(publish))
            {
                publisher = newPublisher(schedule, endNs);
                publisherThread = new Thread(publisher, "loadgen-publisher");
                publisherThread.setDaemon(true);
                publisherThread.start();
            }

            final Progress progress = new Progress(schedule, startNs, publisher, local, childProcesses);
            final LongConsumer printProgress = nowNs -> System.out.println(progress.line(nowNs));
            final long nextProgressNs = runUntil(endNs, startNs + NS_PER_S, local, printProgress, null);
            if (checkExact() && null != local)
            {
                settle(endNs, nextProgressNs, local, printProgress);
            }

            final LoadSummary total = new LoadSummary().receivedPerSecondInWindow(progress.receivedPerSecondInWindow());
            if (null != publisher)
            {
                publisher.stop();
                publisherThread.join(5_000);
                total.merge(new LoadSummary()
                    .counter(LoadSummary.PLANNED, schedule.totalEvents())
                    .counter(LoadSummary.SENT, publisher.sent())
                    .counter(LoadSummary.ACKED, publisher.acked())
                    .counter(LoadSummary.PUBLISH_FAILED, publisher.failed())
                    .counter(LoadSummary.PUBLISH_ABANDONED, publisher.abandoned())
                    .counter(LoadSummary.MAX_PUBLISH_LAG_NS, publisher.maxLagNs()));
                if (null != publisher.lastError())
                {
                    System.out.println("publisher: " + publisher.lastError());
                }
            }
            if (null != local)
            {
                local.stop();
                total.merge(local.summary());
            }
            for (final ChildProcess childProcess : childProcesses)
            {
                total.merge(childProcess.await(TimeUnit.NANOSECONDS.toMillis(Math.max(0, endNs - System.nanoTime()) +
                    (checkExact() ? SETTLE_LIMIT_NS : 0)) + 60_000));
            }

            if (null != local)
            {
                printFailures(local);
            }
            report(total);
            if (checkExact() && !total.exactCheckPassed())
            {
                System.out.println("exact check FAILED");
                return EXIT_CHECK_FAILED;
            }
            return 0;
        }
        finally
        {
            if (null != publisher)
            {
                publisher.stop();
                publisher.close();
            }
            for (final ChildProcess childProcess : childProcesses)
            {
                childProcess.destroy();
            }
        }
    }

    private int runChild()
    {
        final Schedule schedule = newSchedule();
        final long startNs = originNs - seconds(rampSeconds);
        final long endNs = schedule.windowEndNs() + seconds(drainSeconds);
        checkFileLimit(subscribers);
        final SubscriberSet local = newSubscriberSet(firstSubscriber, subscribers, schedule, startNs);
        final Histogram interval = new Histogram(LoopStats.HIGHEST_LATENCY_US, LoopStats.SIGNIFICANT_DIGITS);
        final LongConsumer printProgress =
            nowNs ->
            {
                interval.reset();
                local.addIntervalHistograms(interval);
                System.out.println(ChildProcess.progressLine(local, interval));
                System.out.flush();
            };
        final long nextProgressNs = runUntil(endNs, System.nanoTime() + NS_PER_S, local, printProgress, null);
        if (checkExact())
        {
            settle(endNs, nextProgressNs, local, printProgress);
        }
        local.stop();
        printFailures(local);
        System.out.println(local.summary().toLine());
        System.out.flush();
        return 0;
    }

    /**
     * Extends the drain of a checked run, by at most {@link #SETTLE_LIMIT_NS}, until every planned drop of
     * {@code local} is made, every stream is back from its drops and has its check's verdict, so that a slow machine
     * shows as slow recovery (and drops made after publishing ended), not as a failed check; a broker that loses
     * events still fails, after the limit.
     */
    private static void settle(
        final long endNs, final long nextProgressNs, final SubscriberSet local, final LongConsumer progress)
    {
        runUntil(endNs + SETTLE_LIMIT_NS, nextProgressNs, local, progress, local::settled);
        final long lateNs = System.nanoTime() - endNs;
        System.out.printf(Locale.ROOT, "exact check: %s %.1f s after the drain%n",
            local.settled() ? "every stream settled" : "streams still unsettled", Math.max(0, lateNs) / 1e9);
    }

    /**
     * The caller's thread until {@code endNs}, or until {@code done} says so: opens the subscribers of {@code local}
     * (if any) as they fall due and, once a second from {@code firstProgressNs}, reports progress; polls every
     * millisecond.
     *
     * @return when the next progress report falls due.
     */
    private static long runUntil(
        final long endNs,
        final long firstProgressNs,
        final SubscriberSet local,
        final LongConsumer progress,
        final BooleanSupplier done)
    {
        long nextProgressNs = firstProgressNs;
        for (long nowNs = System.nanoTime(); nowNs - endNs < 0 && (null == done || !done.getAsBoolean()); nowNs = System.nanoTime())
        {
            if (null != local)
            {
                local.openDue(nowNs);
            }
            if (nowNs - nextProgressNs >= 0)
            {
                progress.accept(nowNs);
                nextProgressNs += NS_PER_S;
            }
            LockSupport.parkNanos(Math.min(1_000_000, endNs - nowNs));
        }
        return nextProgressNs;
    }

    private static void printFailures(final SubscriberSet set)
    {
        for (final String failure : set.failures())
        {
            System.out.println("check failed: " + failure);
        }
    }

    private Schedule newSchedule()
    {
        return new Schedule(originNs, "none".equals(publish) ? 0 : rate, topics, seconds(warmupSeconds), seconds(durationSeconds));
    }

    private SubscriberSet newSubscriberSet(
        final int first, final int count, final Schedule schedule, final long rampStartNs)
    {
        return new SubscriberSet(
            new SubscribeTarget(subUrl, topics),
            protocol,
            streamsPerConnection,
            first,
            count,
            schedule,
            resolveSourceAddresses(),
            threads,
            reconnectDelayMs,
            !noResume,
            rampStartNs,
            seconds(rampSeconds),
            new DropPolicy(dropsPerSubscriber, DropPolicy.Mode.parse(dropMode), dropSeed, schedule.originNs(), schedule.windowEndNs(),
                // A drop that had to wait is still made while the stream has the reconnect delay and a second left to
                // come back, before the end of the drain or, in a checked run, of its longest extension.
                schedule.windowEndNs() + seconds(drainSeconds) + (checkExact() ? SETTLE_LIMIT_NS : 0) -
                    TimeUnit.MILLISECONDS.toNanos(reconnectDelayMs) - NS_PER_S),
            startAfterId,
            checkExact());
    }

    private URI ingestUri()
    {
        final URI uri = URI.create(publish);
        if (null == uri.getHost() || -1 == uri.getPort())
        {
            throw new IllegalArgumentException("--publish ingest:// needs host and port, was " + publish);
        }
        return uri;
    }

    private Publisher newPublisher(final Schedule schedule, final long deadlineNs)
    {
        if (publish.startsWith("ingest://"))
        {
            final URI uri = ingestUri();
            return new IngestPublisher(schedule, payloadBytes, deadlineNs, uri.getHost(), uri.getPort(), token,
                publishLingerUs);
        }
        if (publish.startsWith("http://"))
        {
            return new HttpPublisher(schedule, payloadBytes, deadlineNs, publish);
        }
        throw new IllegalArgumentException("--publish must be ingest://host:port, an http:// URL or none, was " + publish);
    }

    private List<InetSocketAddress> resolveSourceAddresses()
    {
        final List<InetSocketAddress> addresses = new ArrayList<>();
        for (final String address : sourceAddresses)
        {
            try
            {
                addresses.add(new InetSocketAddress(InetAddress.getByName(address.trim()), 0));
            }
            catch (final UnknownHostException ex)
            {
                throw new IllegalArgumentException("--source-addresses: cannot resolve " + address, ex);
            }
        }
        return addresses;
    }

    private List<String> jvmOptions()
    {
        final List<String> options = new ArrayList<>();
        for (final String option : childJvmOptions.trim().split("\\s+"))
        {
            if (!option.isEmpty())
            {
                options.add(option);
            }
        }
        final String transport = System.getProperty("ssebroker.transport");
        if (null != transport)
        {
            options.add("-Dssebroker.transport=" + transport);
        }
        return options;
    }

    private List<String> childArgs(final int first, final int count)
    {
        final List<String> args = new ArrayList<>(Arrays.asList(
            "--child",
            "--first-subscriber", Integer.toString(first),
            "--subscribers", Integer.toString(count),
            "--origin-ns", Long.toString(originNs),
            "--sub-url", subUrl,
            "--protocol", protocol,
            "--h2-streams-per-connection", Integer.toString(streamsPerConnection),
            "--topics", Integer.toString(topics),
            "--rate", Long.toString(rate),
            "--payload-bytes", Integer.toString(payloadBytes),
            "--publish", publish,
            "--ramp-seconds", Double.toString(rampSeconds),
            "--warmup-seconds", Double.toString(warmupSeconds),
            "--duration-seconds", Double.toString(durationSeconds),
            "--drain-seconds", Double.toString(drainSeconds),
            "--threads", Integer.toString(threads),
            "--reconnect-delay-ms", Long.toString(reconnectDelayMs)));
        if (!sourceAddresses.isEmpty())
        {
            args.add("--source-addresses");
            args.add(String.join(",", sourceAddresses));
        }
        if (noResume)
        {
            args.add("--no-resume");
        }
        if (dropsPerSubscriber > 0)
        {
            args.addAll(Arrays.asList(
                "--drops-per-subscriber", Integer.toString(dropsPerSubscriber),
                "--drop-mode", dropMode,
                "--drop-seed", Long.toString(dropSeed)));
        }
        if (checkExact)
        {
            args.add("--check-exact");
        }
        if (null != startAfterId)
        {
            args.add("--start-after-id");
            args.add(startAfterId);
        }
        return args;
    }

    private void report(final LoadSummary total) throws IOException
    {
        final double windowSeconds = durationSeconds;
        System.out.println("--- summary " + label + " ---");
        System.out.println(total.toText(windowSeconds));
        if (null != out)
        {
            Files.createDirectories(out);
            Files.writeString(out.resolve("latency.hgrm"), total.toHgrm(), StandardCharsets.UTF_8);
            Files.writeString(out.resolve("summary.json"), total.toJson(label, settings(), windowSeconds), StandardCharsets.UTF_8);
            System.out.println("wrote " + out.resolve("latency.hgrm") + " and " + out.resolve("summary.json"));
        }
    }

    private Map<String, Object> settings()
    {
        final Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("subscribers", subscribers);
        settings.put("protocol", protocol);
        settings.put("subUrl", subUrl);
        settings.put("topics", topics);
        settings.put("rate", rate);
        settings.put("payloadBytes", payloadBytes);
        settings.put("publish", publish);
        settings.put("rampSeconds", rampSeconds);
        settings.put("warmupSeconds", warmupSeconds);
        settings.put("durationSeconds", durationSeconds);
        settings.put("drainSeconds", drainSeconds);
        settings.put("processes", processes);
        settings.put("threads", threads);
        settings.put("sourceAddresses", String.join(",", sourceAddresses));
        settings.put("reconnectDelayMs", reconnectDelayMs);
        settings.put("dropsPerSubscriber", dropsPerSubscriber);
        settings.put("dropMode", dropMode);
        settings.put("checkExact", checkExact());
        settings.put("transport", NettyTransport.epoll() ? "epoll" : "nio");
        return settings;
    }

    private static void checkFileLimit(final int connections)
    {
        final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean)
        {
            final long max = ((com.sun.management.UnixOperatingSystemMXBean)os).getMaxFileDescriptorCount();
            if (connections + 200L > max)
            {
                System.err.printf(Locale.ROOT,
                    "warning: %d connections in one process but the open-file limit is %d; raise ulimit -n or use --processes%n",
                    connections, max);
            }
        }
    }

    private static long seconds(final double seconds)
    {
        return (long)(seconds * NS_PER_S);
    }

    private static void requireRange(final String name, final double value, final double min, final double max)
    {
        if (value < min || value > max)
        {
            throw new IllegalArgumentException(
                name + " must be between " + format(min) + " and " + format(max) + ", was " + format(value));
        }
    }

    private static String format(final double value)
    {
        return value == Math.rint(value) ? Long.toString((long)value) : Double.toString(value);
    }

    /**
     * Builds the once-a-second progress line from this process's subscribers, the children's latest reports and
     * the publisher. Confined to the command's thread.
     */
    private static final class Progress
    {
        private final Schedule schedule;
        private final long startNs;
        private final Publisher publisher;
        private final SubscriberSet local;
        private final List<ChildProcess> children;
        private final Histogram interval = new Histogram(LoopStats.HIGHEST_LATENCY_US, LoopStats.SIGNIFICANT_DIGITS);
        private long lastReceived;
        private long lastSent;
        private long lastNs;
        private long windowStartReceived = -1;
        private long windowStartTickNs;
        private long windowEndReceived = -1;
        private long windowEndTickNs;

        Progress(
            final Schedule schedule,
            final long startNs,
            final Publisher publisher,
            final SubscriberSet local,
            final List<ChildProcess> children)
        {
            this.schedule = schedule;
            this.startNs = startNs;
            this.publisher = publisher;
            this.local = local;
            this.children = children;
            this.lastNs = startNs;
        }

        String line(final long nowNs)
        {
            interval.reset();
            if (null != local)
            {
                local.addIntervalHistograms(interval);
            }
            for (final ChildProcess child : children)
            {
                child.drainInterval(interval);
            }
            final long received = sum(LoopStats.RECEIVED);
            final long sent = null == publisher ? 0 : publisher.sent();
            final double seconds = Math.max(1e-9, (nowNs - lastNs) / 1e9);
            final String line = String.format(Locale.ROOT,
                "[%5.1fs %-7s] subs %d  recv %.0f/s  sent %.0f/s  acked %d  gaps %d  dups %d  reord %d  conn-err %d  reconn %d" +
                "  drops %d  resets %d  | p50 %s p99 %s max %s%s",
                (nowNs - startNs) / 1e9, phase(nowNs), sum(LoopStats.CONNECTED),
                (received - lastReceived) / seconds, (sent - lastSent) / seconds,
                null == publisher ? 0 : publisher.acked(),
                sum(LoopStats.GAPS), sum(LoopStats.DUPLICATES), sum(LoopStats.REORDERED), sum(LoopStats.CONNECT_ERRORS),
                sum(LoopStats.RECONNECTS), sum(LoopStats.SELF_DROPS), sum(LoopStats.RESETS),
                micros(interval.getValueAtPercentile(50)), micros(interval.getValueAtPercentile(99)),
                micros(interval.getMaxValue()),
                null == local || null == local.lastError() ? "" : "  last error: " + local.lastError());
            lastReceived = received;
            lastSent = sent;
            lastNs = nowNs;
            if (windowStartReceived < 0 && nowNs - schedule.windowStartNs() >= 0)
            {
                windowStartReceived = received;
                windowStartTickNs = nowNs;
            }
            if (windowEndReceived < 0 && nowNs - schedule.windowEndNs() >= 0)
            {
                windowEndReceived = received;
                windowEndTickNs = nowNs;
            }
            return line;
        }

        /**
         * Events received per second between the first progress ticks at or after window start and
         * window end (children report their counts on those ticks, so the span is within a second of
         * the window); NaN when both ticks were not seen.
         */
        double receivedPerSecondInWindow()
        {
            if (windowStartReceived < 0 || windowEndReceived < 0 || windowEndTickNs == windowStartTickNs)
            {
                return Double.NaN;
            }
            return (windowEndReceived - windowStartReceived) / ((windowEndTickNs - windowStartTickNs) / 1e9);
        }

        private String phase(final long nowNs)
        {
            if (nowNs - schedule.originNs() < 0)
            {
                return "ramp";
            }
            if (nowNs - schedule.windowStartNs() < 0)
            {
                return "warm-up";
            }
            return nowNs - schedule.windowEndNs() < 0 ? "measure" : "drain";
        }

        private long sum(final int counter)
        {
            long sum = null == local ? 0 : local.sum(counter);
            for (final ChildProcess child : children)
            {
                sum += child.progress(counter);
            }
            return sum;
        }

        private static String micros(final long us)
        {
            return us >= 10_000 ? (us / 1000) + "ms" : us + "us";
        }
    }
}

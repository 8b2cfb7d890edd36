package io.ssebroker.engine;

import io.netty.buffer.ByteBufAllocator;
import io.ssebroker.fanout.EvictionReason;
import io.ssebroker.fanout.LoopFanOut;
import io.ssebroker.fanout.LoopTimer;
import io.ssebroker.ingest.Deduplication;
import io.ssebroker.ingest.IngestRing;
import io.ssebroker.ingest.PublisherSessions;
import io.ssebroker.log.EventIds;
import io.ssebroker.log.EventLog;
import io.ssebroker.log.LogInput;
import io.ssebroker.log.LogWriter;
import io.ssebroker.log.Sequencer;
import io.ssebroker.log.SequencerIdleStrategy;
import io.ssebroker.log.TopicPolicy;
import io.ssebroker.log.TopicRegistry;
import io.ssebroker.metrics.MetricsRegistry;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SystemEpochClock;

import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The broker without its network edge: the ingest ring, the sequencer on its own thread, the event log, the topic
 * registry, deduplication, and one {@link LoopFanOut} per event loop. It needs only an {@link Executor} per loop (to
 * run fan-out wake-ups on) and an allocator, so it lives here and is built alike by the server, tests and
 * benchmarks.
 *
 * <pre>
 *   producers (event loops) ──► IngestRing ──► sequencer thread ──► EventLog ──► LoopFanOut per loop
 * </pre>
 *
 * <b>Threading:</b> build and {@link #start} on one thread; {@link #awaitSequenced} and {@link #stop} from the
 * thread that shuts down; the accessors from any thread (what they return states its own contract).
 */
public final class BrokerEngine
{
    /** Experiment knob (bench/sequencer-idle.sh, WAKE_ALL=true): wake every loop on every batch, as before. */
    private static final boolean WAKE_ALL = Boolean.getBoolean("ssebroker.wake.all");

    private final long epochId;
    private final TopicRegistry topics;
    private final IngestRing ingestRing;
    private final EventLog log;
    private final PublisherSessions sessions = new PublisherSessions();
    private final Deduplication dedup;
    private final LoopFanOut[] fanOuts;
    private final LogWriter writer;
    private final LogInput input;
    private final SequencerAgent sequencerAgent;
    private final AgentRunner sequencerRunner;
    /** Log entries a loop without touched subscribers may leave unapplied before it is woken anyway. */
    private final long lazyLagLimit;

    /**
     * @param config           sizes and limits.
     * @param loops            one executor per event loop, in reader order; each {@link LoopFanOut} runs on its own.
     * @param alloc            allocator of every frame and control buffer.
     * @param metrics          where counters and gauges are registered.
     * @param onSequencerError called on the sequencer thread for an error it survived.
     */
    public BrokerEngine(
        final EngineConfig config,
        final List<? extends Executor> loops,
        final ByteBufAllocator alloc,
        final MetricsRegistry metrics,
        final Consumer<Throwable> onSequencerError)
    {
        this(config, loops, alloc, metrics, onSequencerError, EventIds.epochStartingNow(), null);
    }

    /**
     * An engine whose log is fed by another input than the embedded sequencer: a cluster's consumer.
     *
     * @param epochId first id of the log: ids below it are from an earlier epoch ({@code unknown-epoch}).
     * @param input   builds the input of the log writer; null for the embedded {@link Sequencer}.
     */
    public BrokerEngine(
        final EngineConfig config,
        final List<? extends Executor> loops,
        final ByteBufAllocator alloc,
        final MetricsRegistry metrics,
        final Consumer<Throwable> onSequencerError,
        final long epochId,
        final LogInput.Factory input)
    {
        this.epochId = epochId;
        this.topics = new TopicRegistry(
            name -> new TopicPolicy(config.historyCount(), config.historyBytes(), config.conflated().test(name)),
            config.maxTopics());
        this.ingestRing = new IngestRing(config.ingestRingBytes());
        this.log = new EventLog(config.logCapacity(), loops.size(), epochId - 1);
        this.lazyLagLimit = config.logCapacity() / 4;
        this.fanOuts = new LoopFanOut[loops.size()];
        for (int reader = 0; reader < fanOuts.length; reader++)
        {
            fanOuts[reader] = new LoopFanOut(
                log,
                reader,
                topics,
                loops.get(reader),
                alloc,
                epochId,
                config.fanOutBatch(),
                TimeUnit.MILLISECONDS.toNanos(config.slowGraceMs()),
                TimeUnit.MILLISECONDS.toNanos(config.heartbeatMs()),
                config.retryMs(),
                metrics);
            if (config.writeLingerNs() > 0)
            {
                fanOuts[reader].writeLinger(config.writeLingerNs(), timerOf(loops.get(reader)));
            }
            final int loop = reader;
            metrics.gauge("log_lag_entries", () -> log.lag(loop), "loop", Integer.toString(loop));
        }
        this.dedup = new Deduplication(config.dedupWindowEvents(), config.dedupWindowMs(), config.dedupMaxPublishers(),
            SystemEpochClock.INSTANCE);
        this.writer = new LogWriter(
            log,
            topics,
            alloc,
            config.historyBudgetBytes(),
            epochId,
            config.sequencerBatch(),
            new LogWriter.Listener()
            {
                @Override
                public void onPublished()
                {
                    wakeLoops();
                }

                @Override
                public void onPublished(final long touchedLoops)
                {
                    if (WAKE_ALL)
                    {
                        wakeLoops();
                    }
                    else
                    {
                        wakeLoops(touchedLoops);
                    }
                }
            },
            metrics);
        this.input = null == input ?
            new Sequencer(ingestRing, writer, sessions, dedup, config.sequencerBatch(), metrics) :
            input.create(ingestRing, writer, topics, sessions, dedup, metrics);
        for (final LoopFanOut fanOut : fanOuts)
        {
            fanOut.resumeBounds(this.input.historyFloorId(), this.input::knownHeadId);
        }
        metrics.gauge("ingest_ring_used_bytes", () -> ingestRing.ring().size());
        metrics.gauge("ingest_ring_capacity_bytes", () -> ingestRing.ring().capacity());
        this.sequencerAgent = new SequencerAgent(this.input, ingestRing);
        this.sequencerRunner = new AgentRunner(
            new SequencerIdleStrategy(ingestRing, this.input, TimeUnit.MILLISECONDS.toNanos(100), config.flushLingerNs()),
            onSequencerError::accept,
            null,
            sequencerAgent);
    }

    /**
     * Starts the sequencer thread.
     */
    public void start(final ThreadFactory threadFactory)
    {
        AgentRunner.startOnThread(sequencerRunner, threadFactory);
    }

    /**
     * Waits, up to the deadline, until the sequencer has taken everything in the ring and finished the batch that
     * acknowledges it. For shutdown, after producers have stopped.
     */
    public void awaitSequenced(final long deadlineNs)
    {
        while ((ingestRing.hasMessages() || !input.isSettled()) && System.nanoTime() - deadlineNs < 0)
        {
            Thread.onSpinWait();
        }
        final long cycles = sequencerAgent.cycles();
        while (sequencerAgent.cycles() < cycles + 2 && System.nanoTime() - deadlineNs < 0)
        {
            Thread.onSpinWait();
        }
    }

    /**
     * Stops the sequencer thread (it drains and releases its slabs as it ends). Idempotent.
     */
    public void stop()
    {
        sequencerRunner.close();
    }

    /**
     * @return true from {@link #start} until {@link #stop}.
     */
    public boolean isSequencing()
    {
        return !sequencerRunner.isClosed();
    }

    /**
     * Stops the sequencer from taking events until {@link #resumeSequencing()}: producers are back-pressured,
     * nothing is lost. For maintenance and tests of back-pressure.
     */
    public void pauseSequencing()
    {
        sequencerAgent.paused = true;
    }

    public void resumeSequencing()
    {
        sequencerAgent.paused = false;
    }

    /**
     * @return the fan-out of event loop {@code reader} (the index of its executor in the constructor's list).
     */
    public LoopFanOut fanOut(final int reader)
    {
        return fanOuts[reader];
    }

    /**
     * @return how many event loops the engine fans out on.
     */
    public int loopCount()
    {
        return fanOuts.length;
    }

    public long epochId()
    {
        return epochId;
    }

    public TopicRegistry topics()
    {
        return topics;
    }

    public IngestRing ingestRing()
    {
        return ingestRing;
    }

    public PublisherSessions sessions()
    {
        return sessions;
    }

    public Deduplication dedup()
    {
        return dedup;
    }

    /** What feeds the log: the embedded {@link Sequencer} unless the engine was built with another input. */
    public LogInput input()
    {
        return input;
    }

    /** The log's one writer, which the sequencer feeds. */
    public LogWriter logWriter()
    {
        return writer;
    }

    /**
     * @return events written to subscribers over every loop (each exact as of its last batch). Any thread.
     */
    public long deliveries()
    {
        long total = 0;
        for (final LoopFanOut fanOut : fanOuts)
        {
            total += fanOut.stats().deliveries();
        }
        return total;
    }

    /**
     * @return subscribers evicted for this reason over every loop. Any thread.
     */
    public long evictions(final EvictionReason reason)
    {
        long total = 0;
        for (final LoopFanOut fanOut : fanOuts)
        {
            total += fanOut.stats().evictions(reason);
        }
        return total;
    }

    /**
     * @return subscribers held over every loop. Any thread.
     */
    public int subscribers()
    {
        long total = 0;
        for (final LoopFanOut fanOut : fanOuts)
        {
            total += fanOut.stats().subscribers();
        }
        return (int)total;
    }

    /**
     * Wakes the loops holding subscribers of what a batch touched, and any other loop that has fallen a quarter of
     * the log behind (it applies the log lazily, but must give back its references before the log fills). Loops
     * from index 64 on have no bit and are always woken.
     */
    private void wakeLoops(final long touchedLoops)
    {
        final LoopFanOut[] fanOuts = this.fanOuts;
        final EventLog log = this.log;
        final long lazyLimit = lazyLagLimit;
        for (int i = 0; i < fanOuts.length; i++)
        {
            if (i >= Long.SIZE || 0 != (touchedLoops & (1L << i)) || log.lag(i) > lazyLimit)
            {
                fanOuts[i].wake();
            }
        }
    }

    private void wakeLoops()
    {
        final LoopFanOut[] fanOuts = this.fanOuts;
        for (int i = 0; i < fanOuts.length; i++)
        {
            fanOuts[i].wake();
        }
    }

    /**
     * The loop's own scheduler as a fan-out timer: the write linger needs a delayed task on the loop, which every
     * Netty event loop offers.
     */
    private static LoopTimer timerOf(final Executor loop)
    {
        if (!(loop instanceof ScheduledExecutorService scheduler))
        {
            throw new IllegalArgumentException("a write linger needs event loops that schedule tasks: " + loop);
        }
        return (task, delayNs) -> scheduler.schedule(task, delayNs, TimeUnit.NANOSECONDS);
    }

    /** Runs the sequencer on its own thread and names that thread to the ingest ring's wake-up. */
    private static final class SequencerAgent implements Agent
    {
    private final LogInput sequencer;
        private final IngestRing ring;
        private final AtomicLong cycles = new AtomicLong();
        volatile boolean paused;

        SequencerAgent(final LogInput sequencer, final IngestRing ring)
        {
            this.sequencer = sequencer;
            this.ring = ring;
        }

        @Override
        public void onStart()
        {
            ring.consumerThread(Thread.currentThread());
            sequencer.onStart();
        }

        @Override
        public int doWork()
        {
            final int work = paused ? 0 : sequencer.doWork();
            cycles.lazySet(cycles.get() + 1);
            return work;
        }

        long cycles()
        {
            return cycles.get();
        }

        @Override
        public void onClose()
        {
            sequencer.drain();
            sequencer.close();
        }

        @Override
        public String roleName()
        {
            return "sequencer";
        }
    }
}

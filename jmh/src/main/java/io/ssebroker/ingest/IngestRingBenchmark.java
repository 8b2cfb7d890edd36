package io.ssebroker.ingest;

import io.netty.buffer.ByteBuf;
import io.ssebroker.bench.Payloads;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Control;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The hand-off from event loops to the sequencer: {@link IngestRing.Producer#offer} of one publish
 * (header, event name and data copied into the Agrona many-to-one ring, commit, and the Dekker fence
 * of the wake-up protocol) and the sequencer-side {@link RingBuffer#read}.
 *
 * <ul>
 *   <li>{@code offerThenDrain}: one thread offers {@value #BATCH} messages then reads them all (a
 *       read stops where the ring's buffer wraps, so it may take two); the score is per message
 *       (offer + read).</li>
 *   <li>{@code mpsc}: two producer threads offer while one consumer reads, as in
 *       {@code JMHSample_15_Asymmetric}. {@code mpsc:offer} is successful offers (a producer that
 *       finds the ring full yields and retries); {@code mpsc:messages} is messages read, the
 *       throughput of the hand-off; {@code mpsc:poll} counts read calls, most of them empty.
 *       Three threads on fewer than three cores time-share, which this measures too.</li>
 * </ul>
 * The ring has the broker's default capacity (16 MiB), so messages walk through memory as they do in
 * the broker rather than staying in L1.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "-Dio.netty.leakDetection.level=disabled",
    "-Dio.netty.allocator.useCacheForAllThreads=true",
    "-Xms1g",
    "-Xmx1g"})
public class IngestRingBenchmark
{
    static final int BATCH = 64;
    static final int RING_BYTES = 16 * 1024 * 1024;
    static final int READ_LIMIT = 4096;

    private static final byte[] EVENT = "price-update".getBytes(StandardCharsets.US_ASCII);

    /** Counts what it reads, so the read cannot be optimised away. */
    static final class CountingHandler implements MessageHandler
    {
        long messages;
        long bytes;

        @Override
        public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            messages++;
            bytes += length + buffer.getInt(index + IngestMessageDescriptor.TOPIC_OFFSET);
        }
    }

    /** The bytes of one publish as it sits in a cumulation buffer: event name, then data. */
    static ByteBuf newSource(final int payloadBytes)
    {
        return Payloads.pooledSource(EVENT, Payloads.letters(payloadBytes));
    }

    @State(Scope.Thread)
    public static class SingleThread
    {
        @Param({"16", "100", "1024"})
        int payloadBytes;

        IngestRing ring;
        IngestRing.Producer producer;
        RingBuffer buffer;
        ByteBuf src;
        final CountingHandler handler = new CountingHandler();

        @Setup(Level.Trial)
        public void setUp()
        {
            ring = new IngestRing(RING_BYTES);
            producer = ring.newProducer();
            buffer = ring.ring();
            src = newSource(payloadBytes);
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            src.release();
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int offerThenDrain(final SingleThread s)
    {
        final IngestRing.Producer producer = s.producer;
        final ByteBuf src = s.src;
        final int payloadBytes = s.payloadBytes;
        for (int i = 0; i < BATCH; i++)
        {
            if (!producer.offer(1, i, i & 7, src, 0, EVENT.length, EVENT.length, payloadBytes))
            {
                throw new IllegalStateException("ring full although it is drained after every batch");
            }
        }
        // A read stops at the end of the ring's buffer; the rest follows from its start.
        int read = 0;
        for (int attempt = 0; read < BATCH; attempt++)
        {
            if (attempt > 2)
            {
                throw new IllegalStateException("read " + read + " of " + BATCH + " messages");
            }
            read += s.buffer.read(s.handler, READ_LIMIT);
        }
        return read;
    }

    @State(Scope.Group)
    public static class SharedRing
    {
        @Param({"16", "100", "1024"})
        int payloadBytes;

        IngestRing ring;
        RingBuffer buffer;
        final CountingHandler handler = new CountingHandler();

        @Setup(Level.Trial)
        public void setUp()
        {
            ring = new IngestRing(RING_BYTES);
            buffer = ring.ring();
        }
    }

    /** One producer thread's confined {@link IngestRing.Producer} and source bytes. */
    @State(Scope.Thread)
    public static class ProducerState
    {
        IngestRing.Producer producer;
        ByteBuf src;
        int payloadBytes;
        long sequence;

        @Setup(Level.Trial)
        public void setUp(final SharedRing shared)
        {
            producer = shared.ring.newProducer();
            payloadBytes = shared.payloadBytes;
            src = newSource(payloadBytes);
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            src.release();
        }
    }

    /** Messages the consumer read in the iteration; reported as a rate next to the primary score. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class ConsumerCounters
    {
        public long messages;

        @Setup(Level.Iteration)
        public void reset()
        {
            messages = 0;
        }
    }

    @Benchmark
    @Group("mpsc")
    @GroupThreads(2)
    public boolean offer(final ProducerState p, final Control control)
    {
        final long sequence = ++p.sequence;
        while (!p.producer.offer(1, sequence, (int)sequence & 7, p.src, 0, EVENT.length, EVENT.length, p.payloadBytes))
        {
            if (control.stopMeasurement)
            {
                return false;
            }
            // Few cores: give the consumer the CPU rather than spin against it.
            Thread.yield();
        }
        return true;
    }

    @Benchmark
    @Group("mpsc")
    @GroupThreads(1)
    public int poll(final SharedRing shared, final ConsumerCounters counters)
    {
        final int read = shared.buffer.read(shared.handler, READ_LIMIT);
        counters.messages += read;
        return read;
    }
}

package io.ssebroker.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.ssebroker.bench.Payloads;
import io.ssebroker.log.EventIds;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The encoding share of the sequencer's per-event work, without allocation: {@code encode} sizes
 * and writes one whole HTTP/1.1 chunk for an event ({@link SseFrameEncoder#payloadLength},
 * {@link SseFrameEncoder#frameLength}, {@link SseFrameEncoder#encode}) into a reused pooled
 * direct buffer; {@code decimalId} is the id alone (digit count and ASCII digits of a run's
 * 16-digit ids), the part that does not depend on the payload.
 * <p>
 * Ids increase by one per operation from {@link EventIds#epochStartingNow()}, as the sequencer's
 * do. Payloads are ASCII without line breaks (one {@code data:} line) with event name {@code tick}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "-Dio.netty.leakDetection.level=disabled",
    "-Dio.netty.allocator.useCacheForAllThreads=true",
    "-Xms1g",
    "-Xmx1g"})
public class SseFrameEncoderBenchmark
{
    private static final byte[] EVENT = "tick".getBytes(StandardCharsets.US_ASCII);

    @Param({"16", "100", "1024"})
    int payloadBytes;

    private UnsafeBuffer source;
    private SseFrameEncoder encoder;
    private ByteBuf frame;
    private long id;

    @Setup(Level.Trial)
    public void setUp()
    {
        source = Payloads.directSource(EVENT, Payloads.priceJson(payloadBytes));
        encoder = new SseFrameEncoder();
        frame = PooledByteBufAllocator.DEFAULT.directBuffer(2 * payloadBytes + 256);
        id = EventIds.epochStartingNow();
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        frame.release();
    }

    @Benchmark
    public int encode()
    {
        final long id = ++this.id;
        final ByteBuf frame = this.frame;
        frame.clear();
        final int payloadLength = SseFrameEncoder.payloadLength(id, EVENT.length, source, EVENT.length, payloadBytes);
        final int frameLength = SseFrameEncoder.frameLength(payloadLength);
        encoder.encode(frame, id, source, 0, EVENT.length, EVENT.length, payloadBytes, payloadLength);
        return frameLength + frame.writerIndex();
    }

    @Benchmark
    public int decimalId()
    {
        final long id = ++this.id;
        final ByteBuf frame = this.frame;
        frame.clear();
        final int digits = SseFrameEncoder.decimalDigits(id);
        SseFrameEncoder.writeDecimal(frame, id);
        return digits + frame.getByte(digits - 1);
    }
}

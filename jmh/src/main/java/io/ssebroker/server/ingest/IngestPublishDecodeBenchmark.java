package io.ssebroker.server.ingest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.ssebroker.bench.EngineSetup;
import io.ssebroker.bench.Payloads;
import io.ssebroker.codec.TopicNames;
import io.ssebroker.codec.Utf8Text;
import io.ssebroker.log.TopicRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Cost of framing and validating one ingest {@code PUBLISH} frame on an event loop, before it is
 * offered to the ingest ring: the steps of {@code IngestConnectionHandler.onPublish} (length field,
 * bounds of every field, topic and event-name rules, data size, UTF-8 check, topic lookup by bytes).
 * <p>
 * The handler itself is package-private and needs a whole {@code Broker}, so this re-implements its
 * decode with the same public helpers ({@link TopicNames}, {@link Utf8Text#isValid},
 * {@link TopicRegistry#lookupOrCreate(ByteBuf, int, int)}). Not included: the per-frame channel
 * writability and in-flight checks, and the ring offer (see {@code IngestRingBenchmark}).
 * <p>
 * The cumulation holds {@value #FRAMES} frames over {@value #TOPICS} topics in a pooled direct
 * buffer, as an epoll read delivers them; the score is per frame.
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
public class IngestPublishDecodeBenchmark
{
    static final int FRAMES = 64;
    static final int TOPICS = 8;

    private static final int LENGTH_FIELD_BYTES = 4;
    private static final byte PUBLISH = 0x10;
    private static final int MAX_DATA_BYTES = 1024 * 1024;
    private static final int MAX_FRAME_BYTES = MAX_DATA_BYTES + 512;
    /** Data of every frame: ASCII JSON-like text without line breaks, repeated or cut to the payload size. */
    private static final byte[] QUOTE = "{\"instrument\":\"EURUSD\",\"bid\":1.08421,\"ask\":1.08427,\"ts\":1732170425123}"
        .getBytes(StandardCharsets.US_ASCII);

    @Param({"16", "100", "1024"})
    int payloadBytes;

    private ByteBuf cumulation;
    private TopicRegistry topics;

    @Setup(Level.Trial)
    public void setUp()
    {
        topics = EngineSetup.topicRegistry(1000, 4L * 1024 * 1024, 100_000);
        final byte[] event = "price-update".getBytes(StandardCharsets.US_ASCII);
        final byte[] data = Payloads.repeat(QUOTE, payloadBytes);
        cumulation = PooledByteBufAllocator.DEFAULT.directBuffer();
        for (int i = 0; i < FRAMES; i++)
        {
            final byte[] topic = EngineSetup.topicName(i % TOPICS).getBytes(StandardCharsets.US_ASCII);
            final int length = 1 + 2 + topic.length + 1 + event.length + 4 + data.length;
            cumulation.writeInt(length)
                .writeByte(PUBLISH)
                .writeShort(topic.length)
                .writeBytes(topic)
                .writeByte(event.length)
                .writeBytes(event)
                .writeInt(data.length)
                .writeBytes(data);
        }
        // Topics exist in steady state; creating them is the cold path.
        decode();
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        cumulation.release();
    }

    /**
     * @return a checksum of the decoded fields (topic indexes and data positions).
     */
    @Benchmark
    @OperationsPerInvocation(FRAMES)
    public long decode()
    {
        final ByteBuf in = cumulation;
        final int end = in.writerIndex();
        int index = in.readerIndex();
        long checksum = 0;
        while (end - index >= LENGTH_FIELD_BYTES)
        {
            final long length = in.getUnsignedInt(index);
            if (0 == length || length > MAX_FRAME_BYTES)
            {
                throw invalid("frame length " + length);
            }
            if (end - index < LENGTH_FIELD_BYTES + length)
            {
                break;
            }
            if (PUBLISH != in.getByte(index + LENGTH_FIELD_BYTES))
            {
                throw invalid("frame type");
            }
            checksum += decodePublish(in, index + LENGTH_FIELD_BYTES + 1, (int)length - 1);
            index += LENGTH_FIELD_BYTES + (int)length;
        }
        return checksum;
    }

    /**
     * The body checks of {@code IngestConnectionHandler.onPublish}, in its order.
     */
    private long decodePublish(final ByteBuf in, final int index, final int length)
    {
        if (length < 2 + 1 + 4)
        {
            throw invalid("body too short");
        }
        final int topicLength = in.getUnsignedShort(index);
        final int topicIndex = index + 2;
        if (2 + topicLength + 1 + 4 > length)
        {
            throw invalid("topic length");
        }
        final int eventLength = in.getUnsignedByte(topicIndex + topicLength);
        final int eventIndex = topicIndex + topicLength + 1;
        if (2 + topicLength + 1 + eventLength + 4 > length)
        {
            throw invalid("event length");
        }
        final long dataLength = in.getUnsignedInt(eventIndex + eventLength);
        final int dataIndex = eventIndex + eventLength + 4;
        if (2 + topicLength + 1 + eventLength + 4 + dataLength != length)
        {
            throw invalid("data length");
        }
        if (!TopicNames.isValid(in, topicIndex, topicLength))
        {
            throw invalid("topic");
        }
        if (eventLength > 0 && !TopicNames.isValidEventName(in, eventIndex, eventLength))
        {
            throw invalid("event name");
        }
        if (0 == dataLength || dataLength > MAX_DATA_BYTES)
        {
            throw invalid("data size");
        }
        if (!Utf8Text.isValid(in, dataIndex, (int)dataLength))
        {
            throw invalid("UTF-8");
        }
        final int topic = topics.lookupOrCreate(in, topicIndex, topicLength);
        if (TopicRegistry.TOO_MANY_TOPICS == topic)
        {
            throw invalid("topic limit");
        }
        return ((long)topic << 32) + dataIndex + eventIndex;
    }

    private static IllegalStateException invalid(final String what)
    {
        return new IllegalStateException("benchmark frame rejected: " + what);
    }
}

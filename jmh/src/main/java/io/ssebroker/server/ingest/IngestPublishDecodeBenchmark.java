package io.ssebroker.server.ingest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.ssebroker.bench.EngineSetup;
import io.ssebroker.bench.Payloads;
import io.ssebroker.client.LengthPrefixFramer;
import io.ssebroker.client.PublishFrameReader;
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
 * offered to the ingest ring, with the production code {@code IngestConnectionHandler} runs: the
 * length field ({@link LengthPrefixFramer}), {@link PublishFrameReader} (the wire structure; both from
 * broker-client), {@link PublishRules} (topic and event-name rules, data size, UTF-8) and the topic lookup by bytes. Not included: the per-frame channel
 * writability and in-flight checks, the token check, and the ring offer (see {@code IngestRingBenchmark}).
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

    private static final byte PUBLISH = 0x10;
    private static final int MAX_DATA_BYTES = 1024 * 1024;
    private static final int MAX_FRAME_BYTES = MAX_DATA_BYTES + 512;
    /** Data of every frame: ASCII JSON-like text without line breaks, repeated or cut to the payload size. */
    private static final byte[] QUOTE = "{\"instrument\":\"EURUSD\",\"bid\":1.08421,\"ask\":1.08427,\"ts\":1732170425123}"
        .getBytes(StandardCharsets.US_ASCII);

    @Param({"16", "100", "1024"})
    int payloadBytes;

    private final LengthPrefixFramer framer = new LengthPrefixFramer();
    private final PublishFrameReader frame = new PublishFrameReader();
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
        final LengthPrefixFramer framer = this.framer;
        int index = in.readerIndex();
        long checksum = 0;
        int framing;
        while (LengthPrefixFramer.FRAME == (framing = framer.wrap(in, index, MAX_FRAME_BYTES)))
        {
            if (PUBLISH != in.getByte(framer.typeIndex()))
            {
                throw invalid("frame type");
            }
            checksum += decodePublish(in, framer.bodyIndex(), framer.bodyLength());
            index = framer.endIndex();
        }
        if (LengthPrefixFramer.BAD_LENGTH == framing)
        {
            throw invalid("frame length " + framer.length());
        }
        return checksum;
    }

    /**
     * The body checks of {@code IngestConnectionHandler.onPublish}, with its classes and in its order.
     */
    private long decodePublish(final ByteBuf in, final int index, final int length)
    {
        final PublishFrameReader frame = this.frame;
        if (PublishFrameReader.OK != frame.wrap(in, index, length, false))
        {
            throw invalid("structure");
        }
        if (PublishRules.PASS != PublishRules.checkTopic(in, frame) ||
            PublishRules.PASS != PublishRules.checkEventAndData(in, frame, MAX_DATA_BYTES))
        {
            throw invalid("rules");
        }
        final int topic = topics.lookupOrCreate(in, frame.topicIndex(), frame.topicLength());
        if (TopicRegistry.TOO_MANY_TOPICS == topic)
        {
            throw invalid("topic limit");
        }
        return ((long)topic << 32) + frame.dataIndex() + frame.eventIndex();
    }

    private static IllegalStateException invalid(final String what)
    {
        return new IllegalStateException("benchmark frame rejected: " + what);
    }
}

package io.ssebroker.fanout;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.ssebroker.codec.SseFrameEncoder;
import io.ssebroker.log.EventLog;
import io.ssebroker.log.LogWriter;
import io.ssebroker.log.TopicPolicy;
import io.ssebroker.log.TopicRegistry;
import io.ssebroker.metrics.MetricsRegistry;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The log writer fed directly, as a cluster input feeds it: ids are the input's, with gaps (a stream sequence skips
 * what was deleted) and across a digit boundary, and the frames and replay positions follow them exactly.
 */
class LogWriterTest
{
    private static final long EPOCH = 1_000L;

    private final TopicRegistry topics = new TopicRegistry(name -> new TopicPolicy(100, 1 << 20, false), 100);
    private final EventLog log = new EventLog(1024, 1, EPOCH - 1);
    private final AtomicInteger wakes = new AtomicInteger();
    private final LogWriter writer = new LogWriter(log, topics, PooledByteBufAllocator.DEFAULT, 1 << 24, EPOCH, 16,
        wakes::incrementAndGet, new MetricsRegistry(16));
    private final LoopFanOut fanOut = new LoopFanOut(log, 0, topics, Runnable::run, Unpooled.buffer(0).alloc(), EPOCH,
        8192, 1_000_000_000L, 5_000_000_000L, 2500);

    @Test
    void shouldEncodeTheIdsTheInputChoseIncludingGapsAndNewDigits()
    {
        try
        {
            final int topic = topics.lookupOrCreate("t").index();
            final RecordingSink live = new RecordingSink();
            fanOut.subscribe(new int[] {topic}, null, live, 0);
            final long[] ids = {EPOCH, EPOCH + 1, EPOCH + 7, 9_998, 9_999, 10_000, 10_001, 123_456_789_012L};
            writer.beginBatch();
            for (final long id : ids)
            {
                append(topic, id, "", "v" + id);
            }
            writer.publishBatch();
            writer.finishBatch(true);
            fanOut.drain(0);

            assertEquals(1, wakes.get());
            assertEquals(123_456_789_012L, writer.headId());
            assertEquals(List.of(EPOCH, EPOCH + 1, EPOCH + 7, 9_998L, 9_999L, 10_000L, 10_001L, 123_456_789_012L),
                live.ids());
            assertTrue(live.text.toString().contains("id: 10000\ndata: v10000\n\n"), live.text.toString());
            assertEquals(ids.length, writer.eventsAppended());

            // A resume from inside a gap gets exactly what follows it.
            final RecordingSink resumed = new RecordingSink();
            fanOut.subscribe(new int[] {topic}, Long.toString(EPOCH + 3), resumed, 0);
            assertEquals(List.of(EPOCH + 7, 9_998L, 9_999L, 10_000L, 10_001L, 123_456_789_012L), resumed.ids());
            assertTrue(!resumed.text.toString().contains("event: reset"), resumed.text.toString());
        }
        finally
        {
            writer.close();
            fanOut.release();
        }
    }

    @Test
    void shouldEncodeEventNamesAndMultiLineDataAsTheSequencerDoes()
    {
        try
        {
            final int topic = topics.lookupOrCreate("t").index();
            final RecordingSink live = new RecordingSink();
            fanOut.subscribe(new int[] {topic}, null, live, 0);
            writer.beginBatch();
            append(topic, 5_000, "score", "a\r\nb\nc");
            writer.publishBatch();
            writer.finishBatch(true);
            fanOut.drain(0);
            assertTrue(live.text.toString().endsWith("id: 5000\nevent: score\ndata: a\ndata: b\ndata: c\n\n"),
                live.text.toString());
        }
        finally
        {
            writer.close();
            fanOut.release();
        }
    }

    private void append(final int topic, final long id, final String event, final String data)
    {
        final byte[] eventBytes = event.getBytes(StandardCharsets.UTF_8);
        final byte[] dataBytes = data.getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[eventBytes.length + dataBytes.length]);
        buffer.putBytes(0, eventBytes);
        buffer.putBytes(eventBytes.length, dataBytes);
        final int dataIndex = eventBytes.length;
        final int firstBreak = SseFrameEncoder.indexOfLineBreak(buffer, dataIndex, dataBytes.length);
        writer.append(topic, id, buffer, 0, eventBytes.length, dataIndex, dataBytes.length,
            SseFrameEncoder.dataFieldsLength(buffer, dataIndex, dataBytes.length, firstBreak), firstBreak, 0);
    }
}

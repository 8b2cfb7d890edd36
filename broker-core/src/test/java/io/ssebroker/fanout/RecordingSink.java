package io.ssebroker.fanout;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Test sink: keeps the SSE text it is sent (events' payloads, control text, heartbeats) in order,
 * remembers the shared frames it was handed, and can pretend to be unwritable.
 */
final class RecordingSink implements SubscriberSink
{
    final StringBuilder text = new StringBuilder();
    /** Memory address of each frame's first byte: equal addresses mean one shared encoding. */
    final List<Long> addresses = new ArrayList<>();
    boolean writable = true;
    /** Frames as handed over, chunk framing included, for checking the recorded payload position. */
    final StringBuilder frames = new StringBuilder();
    int flushes;
    /** When set, the sink stands for a stream of that shared connection ({@link #endBatch} returns it). */
    SinkConnection shared;
    EvictionReason closedFor;

    @Override
    public boolean isWritable()
    {
        return writable;
    }

    @Override
    public void writeEvent(final ByteBuf frame, final int payloadOffset, final int payloadLength)
    {
        frames.append(frame.toString(StandardCharsets.UTF_8));
        text.append(frame.toString(frame.readerIndex() + payloadOffset, payloadLength, StandardCharsets.UTF_8));
        addresses.add(frame.hasMemoryAddress() ? frame.memoryAddress() + frame.readerIndex() : -1L);
        frame.release();
    }

    @Override
    public void writeControl(final ByteBuf sseText)
    {
        text.append(sseText.toString(StandardCharsets.UTF_8));
        sseText.release();
    }

    @Override
    public void writeHeartbeat()
    {
        text.append(":\n\n");
    }

    @Override
    public SinkConnection endBatch()
    {
        flushes++;
        return shared;
    }

    @Override
    public void close(final EvictionReason reason)
    {
        closedFor = reason;
    }

    /**
     * @return ids of the events received, in order.
     */
    List<Long> ids()
    {
        final List<Long> ids = new ArrayList<>();
        for (final String line : text.toString().split("\n"))
        {
            if (line.startsWith("id: "))
            {
                ids.add(Long.parseLong(line.substring(4).trim()));
            }
        }
        return ids;
    }
}

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
    /** When set, the sink takes runs of frames as one slice ({@link #writeFrames}), as the HTTP/1.1 sink does. */
    boolean takesRuns;
    /** When non-negative, the frame bytes the sink takes before it turns unwritable, as a socket's bound. */
    long roomBytes = -1;
    /** Frame bytes handed over, chunk framing included. */
    long frameBytes;
    /** When non-negative, the sink turns unwritable after this many more writes (events or runs). */
    int writesUntilUnwritable = -1;
    /** Events in each write the sink was handed, in order: 1 for {@link #writeEvent}, the run's length for a run. */
    final List<Integer> writes = new ArrayList<>();
    /** Frames as handed over, chunk framing included, for checking the recorded payload position. */
    final StringBuilder frames = new StringBuilder();
    int flushes;
    /** When set, the sink stands for a stream of that shared connection ({@link #endBatch} returns it). */
    SinkConnection shared;
    EvictionReason closedFor;

    @Override
    public boolean isWritable()
    {
        return writable && (roomBytes < 0 || frameBytes < roomBytes);
    }

    @Override
    public long writableBytes()
    {
        if (!isWritable())
        {
            return 0;
        }
        return roomBytes < 0 ? Long.MAX_VALUE : roomBytes - frameBytes;
    }

    @Override
    public void writeEvent(final ByteBuf frame, final int payloadOffset, final int payloadLength)
    {
        frames.append(frame.toString(StandardCharsets.UTF_8));
        frameBytes += frame.readableBytes();
        text.append(frame.toString(frame.readerIndex() + payloadOffset, payloadLength, StandardCharsets.UTF_8));
        addresses.add(frame.hasMemoryAddress() ? frame.memoryAddress() + frame.readerIndex() : -1L);
        frame.release();
        wrote(1);
    }

    @Override
    public boolean takesFrameRuns()
    {
        return takesRuns;
    }

    /**
     * Takes the run apart along its chunk framing ({@code <hex length>\r\n<SSE bytes>\r\n} per frame), so that
     * {@link #text} and {@link #addresses} read as if each frame had come on its own.
     */
    @Override
    public void writeFrames(final ByteBuf run, final int events)
    {
        if (!takesRuns)
        {
            throw new AssertionError("a run handed to a sink that takes frames one at a time");
        }
        frames.append(run.toString(StandardCharsets.UTF_8));
        frameBytes += run.readableBytes();
        int at = run.readerIndex();
        int found = 0;
        while (at < run.writerIndex())
        {
            addresses.add(run.hasMemoryAddress() ? run.memoryAddress() + at : -1L);
            int lineEnd = at;
            while (run.getByte(lineEnd) != '\r')
            {
                lineEnd++;
            }
            final int length = Integer.parseInt(run.toString(at, lineEnd - at, StandardCharsets.US_ASCII), 16);
            text.append(run.toString(lineEnd + 2, length, StandardCharsets.UTF_8));
            at = lineEnd + 2 + length + 2;
            found++;
        }
        run.release();
        if (found != events)
        {
            throw new AssertionError("a run said to hold " + events + " frames holds " + found);
        }
        wrote(events);
    }

    private void wrote(final int events)
    {
        writes.add(events);
        if (writesUntilUnwritable > 0 && 0 == --writesUntilUnwritable)
        {
            writable = false;
        }
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

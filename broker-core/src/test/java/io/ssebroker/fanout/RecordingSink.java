package io.ssebroker.fanout;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Test sink: keeps what it is sent as text, remembers the shared frames it was handed, and can
 * pretend to be unwritable.
 */
final class RecordingSink implements SubscriberSink
{
    final StringBuilder text = new StringBuilder();
    /** Memory address of each frame's first byte: equal addresses mean one shared encoding. */
    final List<Long> addresses = new ArrayList<>();
    boolean writable = true;
    int flushes;
    EvictionReason closedFor;

    @Override
    public boolean isWritable()
    {
        return writable;
    }

    @Override
    public void write(final ByteBuf frame)
    {
        text.append(frame.toString(StandardCharsets.UTF_8));
        addresses.add(frame.hasMemoryAddress() ? frame.memoryAddress() + frame.readerIndex() : -1L);
        frame.release();
    }

    @Override
    public void flush()
    {
        flushes++;
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

package io.ssebroker.fanout;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import org.agrona.concurrent.status.AtomicCounter;

/**
 * One read of a {@link DeepHistory} shared by every resume from the same point: the same topics, after the same id.
 * <p>
 * When a node goes away, its subscribers reconnect elsewhere with their {@code Last-Event-ID}, spread over their
 * retry delays. The subscribers of one topic were all at the live edge, so they resume from the same id, and on a
 * busy topic that id is already below the new node's memory. Without sharing, each of them reads the same events
 * back from the stream. Here the first such resume reads; resumes from the same point that arrive while it reads
 * wait for its chunk, and those that arrive within {@code shareNs} after it get the chunk that was read (a chunk stays
 * right to serve: it holds every event of its topics in {@code (afterId, completeThroughId]}, whenever it is read).
 * Chunks kept for sharing are bounded in bytes; past the bound a chunk goes to its readers only.
 * <p>
 * <b>Reference counting:</b> each reader gets its own reference and releases it once; a chunk kept for sharing holds
 * one more, given back when it expires or at {@link #close}.
 * <p>
 * <b>Threading:</b> {@link #load} from any thread (the event loops); the wrapped history calls back on its own.
 * A short lock guards the table of reads.
 */
public final class SharedDeepHistory implements DeepHistory, AutoCloseable
{
    private final DeepHistory reader;
    private final LongSupplier nanoClock;
    private final long shareNs;
    private final long maxHeldBytes;
    private final AtomicCounter sharedLoads;
    private final Map<Key, Read> reads = new HashMap<>();
    /** Reads whose chunk is kept, in the order they finished: the oldest expires first. */
    private final ArrayDeque<Read> kept = new ArrayDeque<>();
    private long heldBytes;
    private boolean closed;

    /**
     * @param reader       the history that reads.
     * @param nanoClock    monotonic nanoseconds.
     * @param shareNs      how long after its read a chunk serves other resumes from the same point.
     * @param maxHeldBytes bytes of chunks kept for sharing at most.
     * @param sharedLoads  counts the loads answered without a read of their own.
     */
    public SharedDeepHistory(
        final DeepHistory reader,
        final LongSupplier nanoClock,
        final long shareNs,
        final long maxHeldBytes,
        final AtomicCounter sharedLoads)
    {
        this.reader = reader;
        this.nanoClock = nanoClock;
        this.shareNs = shareNs;
        this.maxHeldBytes = maxHeldBytes;
        this.sharedLoads = sharedLoads;
    }

    @Override
    public void load(final String[] topics, final long afterId, final int maxEvents, final Consumer<ReplayChunk> done)
    {
        final Key key = new Key(sorted(topics), afterId, maxEvents);
        final Read read;
        ReplayChunk ready = null;
        synchronized (this)
        {
            expire(nanoClock.getAsLong());
            final Read existing = reads.get(key);
            if (closed)
            {
                read = null;
                ready = ReplayChunk.failed();
            }
            else if (null == existing)
            {
                read = new Read(key, done);
                reads.put(key, read);
            }
            else if (null == existing.chunk)
            {
                existing.waiting.add(done);
                sharedLoads.increment();
                return;
            }
            else
            {
                read = null;
                ready = existing.chunk.retain();
                sharedLoads.increment();
            }
        }
        if (null != ready)
        {
            done.accept(ready);
            return;
        }
        reader.load(topics, afterId, maxEvents, chunk -> complete(read, chunk));
    }

    /** Hands the chunk of a read to everyone waiting for it, and keeps it for later resumes when it may. */
    private void complete(final Read read, final ReplayChunk chunk)
    {
        final List<Consumer<ReplayChunk>> waiting;
        synchronized (this)
        {
            waiting = read.waiting;
            read.waiting = null;
            if (!closed && !chunk.isFailed() && heldBytes + chunk.bytes() <= maxHeldBytes)
            {
                read.chunk = chunk.retain();
                read.readAtNs = nanoClock.getAsLong();
                heldBytes += chunk.bytes();
                kept.addLast(read);
            }
            else
            {
                reads.remove(read.key, read);
            }
            for (int i = 1; i < waiting.size(); i++)
            {
                chunk.retain();
            }
        }
        for (final Consumer<ReplayChunk> done : waiting)
        {
            done.accept(chunk);
        }
    }

    private void expire(final long nowNs)
    {
        Read oldest;
        while (null != (oldest = kept.peekFirst()) && nowNs - oldest.readAtNs >= shareNs)
        {
            kept.pollFirst();
            drop(oldest);
        }
    }

    private void drop(final Read read)
    {
        reads.remove(read.key, read);
        heldBytes -= read.chunk.bytes();
        read.chunk.release();
        read.chunk = null;
    }

    /** @return bytes of chunks kept for sharing now; for tests and diagnostics. */
    public synchronized long heldBytes()
    {
        return heldBytes;
    }

    /**
     * Gives back every kept chunk and closes the wrapped history when it can be closed. Loads after this fail; reads
     * still under way reach their waiting readers and are not kept.
     */
    @Override
    public void close()
    {
        synchronized (this)
        {
            closed = true;
            while (!kept.isEmpty())
            {
                drop(kept.pollFirst());
            }
        }
        if (reader instanceof AutoCloseable)
        {
            try
            {
                ((AutoCloseable)reader).close();
            }
            catch (final Exception ex)
            {
                throw new IllegalStateException("closing " + reader, ex);
            }
        }
    }

    private static List<String> sorted(final String[] topics)
    {
        final String[] copy = topics.clone();
        Arrays.sort(copy);
        return Arrays.asList(copy);
    }

    /** The point a resume reads from: the topics (in any order), the id it is after, and the chunk's size. */
    private record Key(List<String> topics, long afterId, int maxEvents)
    {
    }

    private static final class Read
    {
        private final Key key;
        /** Until the chunk arrives: everyone who asked for it, the first reader first. Then null. */
        private List<Consumer<ReplayChunk>> waiting = new ArrayList<>(1);
        /** Once read and kept for sharing: the table's own reference. */
        private ReplayChunk chunk;
        private long readAtNs;

        Read(final Key key, final Consumer<ReplayChunk> first)
        {
            this.key = key;
            waiting.add(first);
        }
    }
}

package io.ssebroker.log;

import io.ssebroker.ingest.IngestRing;
import org.agrona.concurrent.IdleStrategy;

import java.util.concurrent.locks.LockSupport;

/**
 * Spin, then yield, then park until a producer signals: low latency under load without burning a
 * core when the broker is idle (this matters on small machines where the sequencer shares cores
 * with the event loops).
 * <p>
 * <b>Linger.</b> With a linger {@code L > 0}, a batch that emptied the ring is followed by a park of
 * {@code L} that producers do not cut short, instead of spinning and yielding: what arrives meanwhile
 * becomes the next batch, so the sequencer, the event loops it wakes and every channel they write pay one
 * wake-up and one write per {@code L} instead of one per event. A wake-up from such a park that finds
 * nothing parks at once until a producer signals, so an event arriving after a quiet spell is taken at
 * once; only events behind it in a busy spell wait, by at most {@code L}. A batch cut short by the batch
 * limit is followed by the next one at once, linger or not.
 * <p>
 * <b>Threading:</b> used by the sequencer thread only.
 */
public final class SequencerIdleStrategy implements IdleStrategy
{
    static final int SPINS = 100;
    /** Experiment knob (bench/sequencer-idle.sh): yields before parking. */
    static final int YIELDS = Integer.getInteger("ssebroker.sequencer.yields", 50);

    /** How the thread parks: {@link LockSupport#parkNanos(Object, long)}, or a recording stand-in in tests. */
    interface Parker
    {
        void park(Object blocker, long ns);
    }

    private final IngestRing ingest;
    private final LogInput input;
    private final long parkNs;
    private final long lingerNs;
    private final Parker parker;
    private int idleCount;
    private boolean lingered;

    /**
     * @param input    the input the thread runs, asked for work that does not arrive through the ring.
     * @param parkNs   longest park; a safety net, producers unpark the sequencer as they commit.
     * @param lingerNs the park after a batch that emptied the ring, during which producers do not wake the
     *                 sequencer; 0 for none.
     */
    public SequencerIdleStrategy(final IngestRing ingest, final LogInput input, final long parkNs, final long lingerNs)
    {
        this(ingest, input, parkNs, lingerNs, LockSupport::parkNanos);
    }

    SequencerIdleStrategy(
        final IngestRing ingest, final LogInput input, final long parkNs, final long lingerNs, final Parker parker)
    {
        if (lingerNs < 0)
        {
            throw new IllegalArgumentException("linger must not be negative, was " + lingerNs + " ns");
        }
        this.ingest = ingest;
        this.input = input;
        this.parkNs = parkNs;
        this.lingerNs = lingerNs;
        this.parker = parker;
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            idleCount = 0;
            if (lingerNs > 0 && !ingest.hasMessages() && !input.hasPendingInput())
            {
                // Producers see the sequencer awake and do not signal: the park runs its length.
                lingered = true;
                parker.park(this, lingerNs);
            }
        }
        else
        {
            if (lingered)
            {
                // Nothing came during the linger: a quiet spell, so no spinning or yielding before the park.
                lingered = false;
                idleCount = SPINS + YIELDS;
            }
            idle();
        }
    }

    @Override
    public void idle()
    {
        final int count = ++idleCount;
        if (count <= SPINS)
        {
            Thread.onSpinWait();
        }
        else if (count <= SPINS + YIELDS)
        {
            Thread.yield();
        }
        else
        {
            ingest.sleeping(true);
            // The volatile store above is followed by the ring read: see IngestRing's wake-up notes.
            if (!ingest.hasMessages() && !input.hasPendingInput())
            {
                parker.park(this, input.maxParkNs(parkNs));
            }
            ingest.sleeping(false);
        }
    }

    @Override
    public void reset()
    {
        idleCount = 0;
        lingered = false;
    }

    @Override
    public String alias()
    {
        return "sequencer-park";
    }
}

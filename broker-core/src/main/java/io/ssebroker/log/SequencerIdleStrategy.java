package io.ssebroker.log;

import io.ssebroker.ingest.IngestRing;
import org.agrona.concurrent.IdleStrategy;

import java.util.concurrent.locks.LockSupport;

/**
 * Spin, then yield, then park until a producer signals: low latency under load without burning a
 * core when the broker is idle (this matters on small machines where the sequencer shares cores
 * with the event loops).
 * <p>
 * <b>Threading:</b> used by the sequencer thread only.
 */
public final class SequencerIdleStrategy implements IdleStrategy
{
    private static final int SPINS = 100;
    /** Experiment knob (bench/sequencer-idle.sh): yields before parking. */
    private static final int YIELDS = Integer.getInteger("ssebroker.sequencer.yields", 50);

    private final IngestRing ingest;
    private final LogInput input;
    private final long parkNs;
    private int idleCount;

    /**
     * @param input  the input the thread runs, asked for work that does not arrive through the ring.
     * @param parkNs longest park; a safety net, producers unpark the sequencer as they commit.
     */
    public SequencerIdleStrategy(final IngestRing ingest, final LogInput input, final long parkNs)
    {
        this.ingest = ingest;
        this.input = input;
        this.parkNs = parkNs;
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            idleCount = 0;
        }
        else
        {
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
                LockSupport.parkNanos(this, input.maxParkNs(parkNs));
            }
            ingest.sleeping(false);
        }
    }

    @Override
    public void reset()
    {
        idleCount = 0;
    }

    @Override
    public String alias()
    {
        return "sequencer-park";
    }
}

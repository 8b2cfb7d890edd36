package io.ssebroker.ingest;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Registry of live publisher sessions, indexed by the low bits of a session id. The high bits are
 * a generation, so a message left in the ring by a closed connection never acknowledges into a new
 * session that reused its slot.
 * <p>
 * <b>Threading:</b> register and unregister from any event loop (serialised); {@link #lookup} from
 * the sequencer, lock-free.
 */
public final class PublisherSessions
{
    private static final int SLOT_BITS = 16;
    private static final int SLOTS = 1 << SLOT_BITS;

    private final AtomicReferenceArray<PublisherSession> slots = new AtomicReferenceArray<>(SLOTS);
    private int nextSlot;
    private int generation;

    /**
     * @return a new session, or null when {@value #SLOTS} sessions are already open.
     */
    public synchronized PublisherSession register(
        final int maxInFlight, final Executor executor, final PublisherSession.Listener listener)
    {
        for (int i = 0; i < SLOTS; i++)
        {
            final int slot = (nextSlot + i) & (SLOTS - 1);
            if (null == slots.get(slot))
            {
                nextSlot = slot + 1;
                generation = (generation + 1) & 0x7FFF;
                final int id = (generation << SLOT_BITS) | slot;
                final PublisherSession session = new PublisherSession(id, maxInFlight, executor, listener);
                slots.set(slot, session);
                return session;
            }
        }
        return null;
    }

    public void unregister(final PublisherSession session)
    {
        slots.compareAndSet(session.id() & (SLOTS - 1), session, null);
    }

    /**
     * @return the live session with this id, or null when it has closed.
     */
    PublisherSession lookup(final int sessionId)
    {
        final PublisherSession session = slots.get(sessionId & (SLOTS - 1));
        return null != session && session.id() == sessionId ? session : null;
    }
}

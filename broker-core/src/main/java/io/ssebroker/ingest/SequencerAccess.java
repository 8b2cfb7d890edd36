package io.ssebroker.ingest;

/**
 * The sequencer's entry points into {@link PublisherSession}, kept package-private there so that
 * event-loop code cannot call them by mistake.
 * <p>
 * <b>Threading:</b> sequencer thread only.
 */
public final class SequencerAccess
{
    private SequencerAccess()
    {
    }

    /** Sessions that took events in the current batch. Reused across batches; no allocation. */
    public static final class Touched
    {
        private PublisherSession[] sessions = new PublisherSession[64];
        private int count;
    }

    /**
     * Records the id assigned to a session's publish; the acknowledgement goes out at the end of
     * the batch. A closed session's publishes are still sequenced, just not acknowledged.
     */
    public static void assign(
        final PublisherSessions sessions,
        final Touched touched,
        final int sessionId,
        final long sequence,
        final long eventId)
    {
        final PublisherSession session = sessions.lookup(sessionId);
        if (null != session)
        {
            session.assign(sequence, eventId);
            if (!session.touched)
            {
                session.touched = true;
                if (touched.count == touched.sessions.length)
                {
                    touched.sessions = java.util.Arrays.copyOf(touched.sessions, touched.count * 2);
                }
                touched.sessions[touched.count++] = session;
            }
        }
    }

    /**
     * Publishes every touched session's progress and wakes its event loop once.
     */
    public static void publishTouched(final Touched touched)
    {
        final PublisherSession[] sessions = touched.sessions;
        for (int i = 0, n = touched.count; i < n; i++)
        {
            final PublisherSession session = sessions[i];
            session.touched = false;
            session.publishSequenced();
            sessions[i] = null;
        }
        touched.count = 0;
    }
}

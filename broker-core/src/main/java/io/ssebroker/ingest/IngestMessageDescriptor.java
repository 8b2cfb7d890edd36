package io.ssebroker.ingest;

/**
 * Layout of a publish message in the ingest ring (native byte order, written and read on this host).
 *
 * <pre>
 *   0               4               8                               16      18
 *   +---------------+---------------+-------------------------------+-------+-------------+--------+
 *   | session id    | topic index   | publish sequence (per session)| evLen | event bytes | data   |
 *   +---------------+---------------+-------------------------------+-------+-------------+--------+
 * </pre>
 * The data length is the message length minus {@link #EVENT_OFFSET} minus the event length.
 */
public final class IngestMessageDescriptor
{
    /** Agrona message type id of a publish. */
    public static final int MSG_PUBLISH = 1;

    public static final int SESSION_ID_OFFSET = 0;
    public static final int TOPIC_OFFSET = 4;
    public static final int SEQUENCE_OFFSET = 8;
    public static final int EVENT_LENGTH_OFFSET = 16;
    public static final int EVENT_OFFSET = 18;

    private IngestMessageDescriptor()
    {
    }
}

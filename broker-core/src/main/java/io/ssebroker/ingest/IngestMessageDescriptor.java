package io.ssebroker.ingest;

/**
 * Layout of a publish message in the ingest ring (native byte order, written and read on this host).
 *
 * <pre>
 *   0            4             8                               16             20            24      26
 *   +------------+-------------+-------------------------------+--------------+-------------+-------+-------------+------+
 *   | session id | topic index | publish sequence (per session)| data fields  | first break | evLen | event bytes | data |
 *   |            |             |                               | length       | (or -1)     |       |             |      |
 *   +------------+-------------+-------------------------------+--------------+-------------+-------+-------------+------+
 * </pre>
 * The data length is the message length minus {@link #EVENT_OFFSET} minus the event length.
 * <p>
 * The producer (an event loop) scans the data for line breaks while it has it in cache and records
 * what the SSE encoding needs: the {@code data:} lines' total length
 * ({@link io.ssebroker.codec.SseFrameEncoder#dataFieldsLength}) and the offset of the first CR or LF
 * within the data, -1 when there is none. The single sequencer thread then sizes and encodes the
 * frame without reading the data twice; the scan runs in parallel on the event loops.
 */
public final class IngestMessageDescriptor
{
    /** Agrona message type id of a publish. */
    public static final int MSG_PUBLISH = 1;

    public static final int SESSION_ID_OFFSET = 0;
    public static final int TOPIC_OFFSET = 4;
    public static final int SEQUENCE_OFFSET = 8;
    public static final int DATA_FIELDS_LENGTH_OFFSET = 16;
    public static final int FIRST_BREAK_OFFSET = 20;
    public static final int EVENT_LENGTH_OFFSET = 24;
    public static final int EVENT_OFFSET = 26;

    private IngestMessageDescriptor()
    {
    }
}

package io.ssebroker.ingest;

import org.agrona.DirectBuffer;

/**
 * Layout of a publish message in the ingest ring (native byte order, written and read on this host).
 *
 * <pre>
 *   0            4             8                  16            20            24          28      30
 *   +------------+-------------+------------------+-------------+-------------+-----------+-------+-------+
 *   | session id | topic index | publish sequence | data fields | first break | publisher | evLen | keyLen|
 *   |            |             | (per session)    | length      | (or -1)     | (or -1)   |       |       |
 *   +------------+-------------+------------------+-------------+-------------+-----------+-------+-------+
 *   32                    40                  48
 *   +---------------------+-------------------+-----+-------+------+
 *   | publisher sequence  | received at       | key | event | data |
 *   | (0 without one)     | (nanoTime, or 0)  |     |       |      |
 *   +---------------------+-------------------+-----+-------+------+
 * </pre>
 * The data length is the message length minus {@link #KEY_OFFSET}, the key length and the event
 * length. The publisher and its sequence, or the key, let the sequencer take a resend at most once
 * ({@link Deduplication}).
 * <p>
 * The producer (an event loop) scans the data for line breaks while it has it in cache and records
 * what the SSE encoding needs: the {@code data:} lines' total length
 * ({@link io.ssebroker.codec.SseFrameEncoder#dataFieldsLength}) and the offset of the first CR or LF
 * within the data, -1 when there is none. It also records when the publish was read from its connection
 * ({@link System#nanoTime()}, once per read), from which the event loops measure the broker's latency up to
 * their socket write; 0 means not measured. The single sequencer thread then sizes and encodes the
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
    public static final int PUBLISHER_OFFSET = 24;
    public static final int EVENT_LENGTH_OFFSET = 28;
    public static final int KEY_LENGTH_OFFSET = 30;
    public static final int PUBLISHER_SEQUENCE_OFFSET = 32;
    public static final int RECEIVED_NS_OFFSET = 40;
    /** The key, then the event name, then the data. */
    public static final int KEY_OFFSET = 48;

    private IngestMessageDescriptor()
    {
    }

    /** @return where the event name of the message at {@code index} starts (after its key). */
    public static int eventIndex(final DirectBuffer buffer, final int index)
    {
        return index + KEY_OFFSET + buffer.getShort(index + KEY_LENGTH_OFFSET);
    }

    /** @return where the data of the message at {@code index} starts (after its event name). */
    public static int dataIndex(final DirectBuffer buffer, final int index)
    {
        return eventIndex(buffer, index) + buffer.getShort(index + EVENT_LENGTH_OFFSET);
    }

    /** @return the data length of the message of {@code length} bytes at {@code index}. */
    public static int dataLength(final DirectBuffer buffer, final int index, final int length)
    {
        return index + length - dataIndex(buffer, index);
    }
}

package io.ssebroker.log;

/**
 * The topics whose histories hold the most frame bytes, largest first, as of one moment: names, bytes and event
 * counts at the same index. <b>Threading:</b> immutable once published.
 *
 * @param names  topic names.
 * @param bytes  frame bytes each retains.
 * @param events events each retains.
 */
public record TopTopics(String[] names, long[] bytes, int[] events)
{
    /** No topic retains anything. */
    public static final TopTopics NONE = new TopTopics(new String[0], new long[0], new int[0]);
}

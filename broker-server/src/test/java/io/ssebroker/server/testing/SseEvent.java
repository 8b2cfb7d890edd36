package io.ssebroker.server.testing;

/**
 * One dispatched SSE event as a WHATWG {@code EventSource} would see it.
 *
 * @param id    value of the block's {@code id:} field, or null when the block had none.
 * @param event value of the {@code event:} field, or null for a plain {@code message}.
 * @param data  the {@code data:} lines joined with LF.
 */
public record SseEvent(String id, String event, String data)
{
    /**
     * @return the id as a number; fails when the event has none.
     */
    public long idAsLong()
    {
        if (null == id)
        {
            throw new AssertionError("event has no id: " + this);
        }
        return Long.parseLong(id);
    }
}

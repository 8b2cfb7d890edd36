package io.ssebroker.server.testing.browser;

/**
 * One thing the test page's {@code EventSource} did, in the order the page saw it: an {@code open},
 * an {@code error}, or a dispatched event ({@code message}, {@code quote}, {@code reset}).
 *
 * @param type        {@code open}, {@code error}, or the event type.
 * @param data        {@code event.data}; null for open and error.
 * @param lastEventId {@code event.lastEventId}; null for open and error.
 * @param readyState  {@code source.readyState} when it happened: {@link #CONNECTING}, {@link #OPEN} or
 *                    {@link #CLOSED}.
 */
public record PageEntry(String type, String data, String lastEventId, int readyState)
{
    public static final int CONNECTING = 0;
    public static final int OPEN = 1;
    public static final int CLOSED = 2;

    /**
     * @return the entry of an {@code open} event.
     */
    public static PageEntry open()
    {
        return new PageEntry("open", null, null, OPEN);
    }

    /**
     * @return the entry of an {@code error} event after which the source is in the given state.
     */
    public static PageEntry error(final int readyState)
    {
        return new PageEntry("error", null, null, readyState);
    }

    /**
     * @return the entry of a dispatched event; the source is open while it dispatches.
     */
    public static PageEntry event(final String type, final String data, final String lastEventId)
    {
        return new PageEntry(type, data, lastEventId, OPEN);
    }

    /**
     * @return whether this is a dispatched event rather than an open or error.
     */
    public boolean isEvent()
    {
        return null != data;
    }
}

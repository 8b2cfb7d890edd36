package io.ssebroker.server.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * The parsing half of the WHATWG "server-sent events" interpretation algorithm, written from the
 * specification and independent of the broker's code: lines end at CRLF, LF or CR; a blank line
 * dispatches; a leading {@code :} marks a comment; one space after the colon is dropped; data lines
 * are joined with LF. Blocks without data are not dispatched, as in a browser.
 */
public final class SseText
{
    private SseText()
    {
    }

    /**
     * @param text complete SSE text; an unterminated last block is discarded, as the spec says.
     * @return the events dispatched, in order.
     */
    public static List<SseEvent> parse(final String text)
    {
        final List<SseEvent> events = new ArrayList<>();
        String id = null;
        String event = null;
        StringBuilder data = null;
        int i = 0;
        final int n = text.length();
        while (i < n)
        {
            int end = i;
            while (end < n && text.charAt(end) != '\n' && text.charAt(end) != '\r')
            {
                end++;
            }
            if (end == n)
            {
                break;
            }
            final String line = text.substring(i, end);
            i = end + ('\r' == text.charAt(end) && end + 1 < n && '\n' == text.charAt(end + 1) ? 2 : 1);

            if (line.isEmpty())
            {
                if (null != data)
                {
                    final String joined = data.length() > 0 ? data.substring(0, data.length() - 1) : "";
                    events.add(new SseEvent(id, event, joined));
                }
                id = null;
                event = null;
                data = null;
                continue;
            }
            if (':' == line.charAt(0))
            {
                continue;
            }
            final int colon = line.indexOf(':');
            final String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" "))
            {
                value = value.substring(1);
            }
            switch (field)
            {
                case "id":
                    id = value;
                    break;
                case "event":
                    event = value;
                    break;
                case "data":
                    if (null == data)
                    {
                        data = new StringBuilder();
                    }
                    data.append(value).append('\n');
                    break;
                default:
                    break;
            }
        }
        return events;
    }

    /**
     * @return the single event a chunk payload carries; fails when it carries none or several.
     */
    public static SseEvent single(final String text)
    {
        final List<SseEvent> events = parse(text);
        if (1 != events.size())
        {
            throw new AssertionError("expected exactly one event in " + printable(text) + ", parsed " + events);
        }
        return events.get(0);
    }

    /**
     * @return the text with CR and LF made visible, for assertion messages.
     */
    public static String printable(final String text)
    {
        return "\"" + text.replace("\r", "\\r").replace("\n", "\\n") + "\"";
    }
}

package io.ssebroker.server.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A response read off a raw socket: the exact head as sent and the body.
 *
 * @param head the status line and header lines including the blank line, as ISO-8859-1 text.
 * @param body the body bytes (Content-Length delimited), empty when none.
 */
public record RawResponse(String head, byte[] body)
{
    /**
     * @return the numeric status code of the status line.
     */
    public int status()
    {
        final String statusLine = head.substring(0, head.indexOf("\r\n"));
        final String[] parts = statusLine.split(" ", 3);
        return Integer.parseInt(parts[1]);
    }

    /**
     * @return the values of every header with this name (case-insensitive), in order.
     */
    public List<String> headers(final String name)
    {
        final List<String> values = new ArrayList<>();
        final String wanted = name.toLowerCase(Locale.ROOT);
        final String[] lines = head.split("\r\n");
        for (int i = 1; i < lines.length; i++)
        {
            final int colon = lines[i].indexOf(':');
            if (colon > 0 && lines[i].substring(0, colon).toLowerCase(Locale.ROOT).equals(wanted))
            {
                values.add(lines[i].substring(colon + 1).trim());
            }
        }
        return values;
    }

    /**
     * @return the single value of a header, or null when absent; fails when it is repeated.
     */
    public String header(final String name)
    {
        final List<String> values = headers(name);
        if (values.size() > 1)
        {
            throw new AssertionError("header " + name + " repeated: " + values);
        }
        return values.isEmpty() ? null : values.get(0);
    }

    public String bodyText()
    {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public String toString()
    {
        return head.replace("\r\n", "\\r\\n ") + bodyText();
    }
}

package io.ssebroker.server.http;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * Reads the HTTP/1.1 responses a broker sent on one connection, checking each against what the
 * README promises: a well-formed status line and header block; a status the broker documents (100
 * before a publish that expects it, 101 for an h2c upgrade, 200, 204 for a preflight, a 4xx with a
 * one-line reason, 503 when out of capacity) and never a 5xx otherwise; a {@code Content-Length}
 * body, or a chunked event stream after which the connection carries nothing else; {@code Allow} on
 * a 405; nothing after a {@code Connection: close} answer. The first departure is kept as {@link
 * #problem()}.
 * <p>
 * A {@code 204} has neither body nor {@code Content-Length}. A response to {@code HEAD} keeps its {@code Content-Length} without the body; without parsing the
 * requests, such a response is told apart by what follows its header block: the next status line,
 * or nothing (no body the broker sends starts with {@code HTTP/1.}).
 * <p>
 * <b>Threading:</b> any one thread; built from a snapshot of the bytes.
 */
final class HttpAnswers
{
    private static final Set<Integer> DOCUMENTED = Set.of(100, 101, 200, 204, 400, 404, 405, 408, 413, 414, 431, 503);
    /** An event stream to an HTTP/1.0 request answers in HTTP/1.0; so both are status lines. */
    private static final byte[] STATUS_LINE_START = "HTTP/1.".getBytes(StandardCharsets.US_ASCII);

    private int finalAnswers;
    private boolean streaming;
    private boolean switched;
    private boolean closing;
    private boolean partial;
    private String problem;

    private HttpAnswers()
    {
    }

    static HttpAnswers parse(final byte[] bytes, final int length)
    {
        final HttpAnswers answers = new HttpAnswers();
        answers.read(bytes, length);
        return answers;
    }

    private void read(final byte[] bytes, final int length)
    {
        int index = 0;
        while (null == problem && index < length)
        {
            if (closing)
            {
                problem = "bytes after a Connection: close answer";
                return;
            }
            final int headEnd = indexOf(bytes, index, length, "\r\n\r\n");
            if (headEnd < 0)
            {
                partial = true;
                if (!startsWith(bytes, index, length, STATUS_LINE_START, Math.min(length - index, STATUS_LINE_START.length)))
                {
                    problem = "not a status line";
                }
                return;
            }
            final String head = new String(bytes, index, headEnd - index, StandardCharsets.ISO_8859_1);
            index = headEnd + 4;
            final String[] lines = head.split("\r\n", -1);
            final int status = statusOf(lines[0]);
            if (status < 0)
            {
                return;
            }
            long contentLength = -1;
            boolean chunked = false;
            boolean eventStream = false;
            boolean allow = false;
            for (int i = 1; i < lines.length && null == problem; i++)
            {
                final int colon = lines[i].indexOf(':');
                if (colon <= 0 || !isToken(lines[i], colon))
                {
                    problem = "malformed header line '" + lines[i] + "'";
                    return;
                }
                final String name = lines[i].substring(0, colon).toLowerCase(Locale.ROOT);
                final String value = lines[i].substring(colon + 1).trim();
                switch (name)
                {
                    case "content-length":
                        if (contentLength >= 0 || !value.matches("[0-9]{1,9}"))
                        {
                            problem = "Content-Length '" + value + "'";
                            return;
                        }
                        contentLength = Long.parseLong(value);
                        break;
                    case "transfer-encoding":
                        chunked = "chunked".equalsIgnoreCase(value);
                        break;
                    case "content-type":
                        eventStream = value.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
                        break;
                    case "allow":
                        allow = true;
                        break;
                    case "connection":
                        closing = value.toLowerCase(Locale.ROOT).contains("close");
                        break;
                    default:
                        break;
                }
            }
            if (100 == status)
            {
                continue;
            }
            if (204 == status)
            {
                // No body, and no Content-Length either (RFC 9110 8.6): Netty's encoder removes it.
                finalAnswers++;
                continue;
            }
            if (101 == status)
            {
                // HTTP/2 from here on (an h2c upgrade); the h2c tests check that.
                switched = true;
                return;
            }
            finalAnswers++;
            if (405 == status && !allow)
            {
                problem = "405 without Allow";
                return;
            }
            if (200 == status && eventStream)
            {
                // An event stream: chunked (or, to an HTTP/1.0 request, delimited by the close) and
                // the last thing on the connection.
                streaming = true;
                return;
            }
            if (chunked || contentLength < 0)
            {
                problem = "status " + status + " without Content-Length";
                return;
            }
            final boolean headAnswer = length - index < contentLength && (length == index ||
                startsWith(bytes, index, length, STATUS_LINE_START, STATUS_LINE_START.length));
            if (headAnswer || contentLength > 0 && startsWith(bytes, index, length, STATUS_LINE_START, STATUS_LINE_START.length))
            {
                continue;
            }
            if (length - index < contentLength)
            {
                partial = true;
                return;
            }
            if (status >= 400 && (0 == contentLength || '\n' != bytes[index + (int)contentLength - 1]))
            {
                problem = "status " + status + " without a one-line reason";
                return;
            }
            index += (int)contentLength;
        }
    }

    private int statusOf(final String line)
    {
        if (!(line.startsWith("HTTP/1.1 ") || line.startsWith("HTTP/1.0 ")) || line.length() < 13 || ' ' != line.charAt(12) ||
            !line.substring(9, 12).matches("[0-9]{3}"))
        {
            problem = "status line '" + line + "'";
            return -1;
        }
        final int status = Integer.parseInt(line.substring(9, 12));
        if (!DOCUMENTED.contains(status))
        {
            problem = "undocumented status '" + line + "'";
            return -1;
        }
        return status;
    }

    private static boolean isToken(final String line, final int end)
    {
        for (int i = 0; i < end; i++)
        {
            final char c = line.charAt(i);
            if (c <= ' ' || c >= 0x7F || "()<>@,;:\\\"/[]?={}".indexOf(c) >= 0)
            {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(final byte[] bytes, final int from, final int to, final String text)
    {
        final byte[] needle = text.getBytes(StandardCharsets.US_ASCII);
        for (int i = from; i + needle.length <= to; i++)
        {
            if (startsWith(bytes, i, to, needle, needle.length))
            {
                return i;
            }
        }
        return -1;
    }

    private static boolean startsWith(final byte[] bytes, final int from, final int to, final byte[] prefix, final int n)
    {
        if (to - from < n)
        {
            return false;
        }
        for (int i = 0; i < n; i++)
        {
            if (bytes[from + i] != prefix[i])
            {
                return false;
            }
        }
        return true;
    }

    /** @return final (non-1xx) answers read. */
    int finalAnswers()
    {
        return finalAnswers;
    }

    /** @return true once an event stream began: nothing else is answered on the connection. */
    boolean streaming()
    {
        return streaming;
    }

    /** @return true after a 101: the connection speaks HTTP/2 from there. */
    boolean switched()
    {
        return switched;
    }

    /** @return true when the last answer said {@code Connection: close}. */
    boolean closing()
    {
        return closing;
    }

    /** @return true when the bytes end inside an answer. */
    boolean partial()
    {
        return partial;
    }

    /** @return the first departure, or null. */
    String problem()
    {
        return problem;
    }
}

package io.ssebroker.server.testing;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * One-shot requests over a fresh raw connection with {@code Connection: close}, so no test depends on
 * a pooled connection the broker may have timed out.
 */
public final class RawHttp
{
    private RawHttp()
    {
    }

    /**
     * Sends a request with a body (or none when null) and reads the response.
     */
    public static RawResponse exchange(
        final int port, final String method, final String target, final String contentType, final byte[] body,
        final String... headerLines) throws IOException
    {
        try (RawHttpConnection connection = RawHttpConnection.open(port))
        {
            final StringBuilder head = new StringBuilder()
                .append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(port).append("\r\n")
                .append("Connection: close\r\n");
            for (final String line : headerLines)
            {
                head.append(line).append("\r\n");
            }
            if (null != body)
            {
                if (null != contentType)
                {
                    head.append("Content-Type: ").append(contentType).append("\r\n");
                }
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("\r\n");
            final byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
            final byte[] request = new byte[headBytes.length + (null == body ? 0 : body.length)];
            System.arraycopy(headBytes, 0, request, 0, headBytes.length);
            if (null != body)
            {
                System.arraycopy(body, 0, request, headBytes.length, body.length);
            }
            connection.send(request);
            return connection.readResponse();
        }
    }

    public static RawResponse get(final int port, final String target, final String... headerLines) throws IOException
    {
        return exchange(port, "GET", target, null, null, headerLines);
    }

    /**
     * POSTs an already encoded form body.
     */
    public static RawResponse postForm(final int port, final String formBody) throws IOException
    {
        return exchange(port, "POST", "/publish", "application/x-www-form-urlencoded",
            formBody.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * POSTs a form with the given fields, each URL-encoded; event may be null.
     */
    public static RawResponse publishForm(final int port, final String topic, final String event, final String data)
        throws IOException
    {
        final StringBuilder form = new StringBuilder()
            .append("topic=").append(encode(topic))
            .append("&data=").append(encode(data));
        if (null != event)
        {
            form.append("&event=").append(encode(event));
        }
        return postForm(port, form.toString());
    }

    /**
     * Publishes over HTTP and returns the assigned id; fails unless the answer is 200.
     */
    public static long publish(final int port, final String topic, final String data) throws IOException
    {
        final RawResponse response = publishForm(port, topic, null, data);
        if (200 != response.status())
        {
            throw new AssertionError("publish to " + topic + " failed: " + response);
        }
        return Long.parseLong(response.bodyText());
    }

    public static String encode(final String value)
    {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}

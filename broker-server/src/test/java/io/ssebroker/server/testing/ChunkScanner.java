package io.ssebroker.server.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits a chunked body that arrives in arbitrary pieces into chunk payloads, keeping an incomplete
 * chunk until the rest arrives, so a test can cut a connection at any byte and know exactly which
 * chunks it received whole.
 * <p>
 * <b>Threading:</b> one thread.
 */
public final class ChunkScanner
{
    private byte[] pending = new byte[0];

    /**
     * @return payloads of the chunks completed by these bytes, in order.
     */
    public List<byte[]> feed(final byte[] bytes)
    {
        final byte[] buffer = Arrays.copyOf(pending, pending.length + bytes.length);
        System.arraycopy(bytes, 0, buffer, pending.length, bytes.length);
        final List<byte[]> payloads = new ArrayList<>();
        int start = 0;
        while (true)
        {
            int lineEnd = start;
            while (lineEnd + 1 < buffer.length && !('\r' == buffer[lineEnd] && '\n' == buffer[lineEnd + 1]))
            {
                lineEnd++;
            }
            if (lineEnd + 1 >= buffer.length)
            {
                break;
            }
            final int size = Integer.parseInt(new String(buffer, start, lineEnd - start,
                java.nio.charset.StandardCharsets.US_ASCII), 16);
            final int payloadStart = lineEnd + 2;
            if (payloadStart + size + 2 > buffer.length)
            {
                break;
            }
            if ('\r' != buffer[payloadStart + size] || '\n' != buffer[payloadStart + size + 1])
            {
                throw new AssertionError("chunk of " + size + " bytes not followed by CRLF");
            }
            payloads.add(Arrays.copyOfRange(buffer, payloadStart, payloadStart + size));
            start = payloadStart + size + 2;
        }
        pending = Arrays.copyOfRange(buffer, start, buffer.length);
        return payloads;
    }
}

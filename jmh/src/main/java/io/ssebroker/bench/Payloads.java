package io.ssebroker.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Event data for benchmarks: printable ASCII without line breaks (one {@code data:} line), of an
 * exact length, and the event-name-then-data source buffers the encoder and the ingest ring read.
 * <p>
 * <b>Threading:</b> stateless.
 */
public final class Payloads
{
    private static final byte[] PRICE_JSON =
        "{\"instrument\":\"EURUSD\",\"bid\":1.08421,\"ask\":1.08427}".getBytes(StandardCharsets.US_ASCII);

    private Payloads()
    {
    }

    /**
     * @return {@code length} bytes {@code abc…xyzabc…}.
     */
    public static byte[] letters(final int length)
    {
        final byte[] data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)('a' + (i % 26));
        }
        return data;
    }

    /**
     * @return {@code length} bytes of a price quote in JSON, repeated or cut to fit.
     */
    public static byte[] priceJson(final int length)
    {
        return repeat(PRICE_JSON, length);
    }

    /**
     * @return {@code length} bytes of {@code template}, repeated or cut to fit.
     */
    public static byte[] repeat(final byte[] template, final int length)
    {
        final byte[] data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = template[i % template.length];
        }
        return data;
    }

    /**
     * @return a pooled direct buffer sized for and holding {@code event} then {@code data}; the
     *     caller owns its one reference.
     */
    public static ByteBuf pooledSource(final byte[] event, final byte[] data)
    {
        return PooledByteBufAllocator.DEFAULT.directBuffer(event.length + data.length)
            .writeBytes(event)
            .writeBytes(data);
    }

    /**
     * @return a direct buffer of exactly {@code event} then {@code data}.
     */
    public static UnsafeBuffer directSource(final byte[] event, final byte[] data)
    {
        final UnsafeBuffer source = new UnsafeBuffer(ByteBuffer.allocateDirect(event.length + data.length));
        source.putBytes(0, event);
        source.putBytes(event.length, data);
        return source;
    }
}

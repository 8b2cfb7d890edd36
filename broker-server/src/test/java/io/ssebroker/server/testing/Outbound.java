package io.ssebroker.server.testing;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;

import java.nio.charset.StandardCharsets;

/**
 * What a handler on an {@link EmbeddedChannel} has written, taken out and released.
 */
public final class Outbound
{
    private Outbound()
    {
    }

    /**
     * @return every outbound buffer written so far, joined as UTF-8 text; each is released.
     */
    public static String text(final EmbeddedChannel channel)
    {
        final StringBuilder out = new StringBuilder();
        for (Object message = channel.readOutbound(); null != message; message = channel.readOutbound())
        {
            final ByteBuf buf = (ByteBuf)message;
            out.append(buf.toString(StandardCharsets.UTF_8));
            buf.release();
        }
        return out.toString();
    }
}

package io.ssebroker.server.ingest;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.ssebroker.server.Broker;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Pipeline of an ingest connection: a single {@link IngestConnectionHandler} that frames, decodes,
 * validates and hands publishes to the ingest ring.
 */
public final class IngestServerInitializer extends ChannelInitializer<SocketChannel>
{
    private final Broker broker;

    /** ERROR, sequence 0, BAD_HANDSHAKE: the connection is refused before its HELLO is read. */
    private static final byte[] TOO_MANY_CONNECTIONS = tooManyConnections();

    private static byte[] tooManyConnections()
    {
        final byte[] text = "too many connections from here; retry later".getBytes(StandardCharsets.US_ASCII);
        final ByteBuffer frame = ByteBuffer.allocate(4 + 1 + 8 + 2 + 2 + text.length);
        frame.putInt(1 + 8 + 2 + 2 + text.length).put((byte)0x7F).putLong(0).putShort((short)2)
            .putShort((short)text.length).put(text);
        return frame.array();
    }

    public IngestServerInitializer(final Broker broker)
    {
        this.broker = broker;
    }

    @Override
    protected void initChannel(final SocketChannel ch)
    {
        if (!broker.connectionLimits().admit(ch, TOO_MANY_CONNECTIONS))
        {
            return;
        }
        broker.ingestChannels().add(ch);
        ch.pipeline().addLast(new IngestConnectionHandler(broker));
    }
}

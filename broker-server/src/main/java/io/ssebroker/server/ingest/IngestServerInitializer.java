package io.ssebroker.server.ingest;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.ssebroker.server.edge.IngestBackend;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static io.ssebroker.client.IngestErrorCode.BAD_HANDSHAKE;
import static io.ssebroker.client.IngestFrameDescriptor.ERROR_FIXED_BODY_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.LENGTH_FIELD_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.TYPE_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.TYPE_ERROR;

/**
 * Pipeline of an ingest connection: a single {@link IngestConnectionHandler} that frames, decodes,
 * validates and hands publishes to the ingest ring.
 */
public final class IngestServerInitializer extends ChannelInitializer<Channel>
{
    private final IngestBackend broker;

    /** ERROR, sequence 0, BAD_HANDSHAKE: the connection is refused before its HELLO is read. */
    private static final byte[] TOO_MANY_CONNECTIONS = tooManyConnections();

    private static byte[] tooManyConnections()
    {
        final byte[] text = "too many connections from here; retry later".getBytes(StandardCharsets.US_ASCII);
        final int length = TYPE_BYTES + ERROR_FIXED_BODY_BYTES + text.length;
        final ByteBuffer frame = ByteBuffer.allocate(LENGTH_FIELD_BYTES + length);
        frame.putInt(length).put(TYPE_ERROR).putLong(0).putShort((short)BAD_HANDSHAKE)
            .putShort((short)text.length).put(text);
        return frame.array();
    }

    public IngestServerInitializer(final IngestBackend broker)
    {
        this.broker = broker;
    }

    @Override
    protected void initChannel(final Channel ch)
    {
        if (!broker.connectionLimits().admit(ch, TOO_MANY_CONNECTIONS))
        {
            return;
        }
        broker.ingestChannels().add(ch);
        ch.pipeline().addLast(new IngestConnectionHandler(broker));
    }
}

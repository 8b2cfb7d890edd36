package io.ssebroker.server.ingest;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.ssebroker.server.Broker;

/**
 * Pipeline of an ingest connection: a single {@link IngestConnectionHandler} that frames, decodes,
 * validates and hands publishes to the ingest ring.
 */
public final class IngestServerInitializer extends ChannelInitializer<SocketChannel>
{
    private final Broker broker;

    public IngestServerInitializer(final Broker broker)
    {
        this.broker = broker;
    }

    @Override
    protected void initChannel(final SocketChannel ch)
    {
        broker.ingestChannels().add(ch);
        ch.pipeline().addLast(new IngestConnectionHandler(broker));
    }
}

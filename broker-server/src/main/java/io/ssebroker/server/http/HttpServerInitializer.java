package io.ssebroker.server.http;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.ssebroker.server.Broker;

/**
 * Pipeline of a new HTTP connection:
 * <pre>
 *   HttpServerCodec (line ≤ 16 KiB, headers ≤ 8 KiB) → HttpRequestHandler
 * </pre>
 * A {@code GET /events} request replaces both with {@link SseStreamHandler}, which writes
 * pre-encoded chunks directly.
 */
public final class HttpServerInitializer extends ChannelInitializer<SocketChannel>
{
    /**
     * Request lines up to 16 KiB: a stream on 256 topics with names of 40 characters needs about
     * 12 KiB of query string.
     */
    static final int MAX_REQUEST_LINE_BYTES = 16 * 1024;

    static final String CODEC = "http-codec";
    static final String REQUESTS = "http-requests";

    private final Broker broker;
    private final HttpResponses responses;

    public HttpServerInitializer(final Broker broker)
    {
        this.broker = broker;
        this.responses = new HttpResponses(broker.config().corsOrigins());
    }

    @Override
    protected void initChannel(final SocketChannel ch)
    {
        broker.httpChannels().add(ch);
        ch.pipeline()
            .addLast(CODEC, new HttpServerCodec(MAX_REQUEST_LINE_BYTES, 8192, 65536))
            .addLast(REQUESTS, new HttpRequestHandler(broker, responses));
    }
}

package io.ssebroker.loadgen;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.AsciiString;
import io.netty.util.collection.IntObjectHashMap;

/**
 * Many subscriber streams multiplexed on one HTTP/2 cleartext connection with prior knowledge (RFC 9113
 * section 3.3): the client preface, then one {@code GET} stream per subscriber.
 * <p>
 * <b>Flow control:</b> the connection window is raised to 16 MiB and the stream windows to 1 MiB; every DATA
 * frame is reported consumed as soon as it is parsed, so Netty's local flow controller sends WINDOW_UPDATE.
 * <p>
 * <b>Errors:</b> a stream answered with a status other than 200 counts a connect error and is reset; a stream
 * that ends or is reset is reopened after the reconnect delay; a lost connection reopens everything. A
 * self-inflicted drop resets only its stream with {@code RST_STREAM CANCEL} and reopens it after the reconnect
 * delay on the same connection, as a browser's {@code EventSource.close()} and a new {@code EventSource} would.
 * <p>
 * <b>Reference counting:</b> DATA payloads belong to the HTTP/2 codec, which releases them after the listener
 * returns; the parser only reads them.
 * <p>
 * <b>Threading:</b> all state is confined to {@link #loop}.
 */
final class H2cConnection extends ReconnectingConnection
{
    private static final AsciiString STATUS_OK = AsciiString.cached("200");
    private static final int CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;
    private static final int STREAM_WINDOW_BYTES = 1024 * 1024;

    private final SubscriberStream[] streams;
    private final IntObjectHashMap<SubscriberStream> streamsById = new IntObjectHashMap<>();
    /** The HTTP/2 stream id of each subscriber stream's current request, by slot. */
    private final int[] streamIds;

    private ChannelHandlerContext codecContext;
    private Http2ConnectionHandler codec;
    private long nowNs;

    H2cConnection(
        final EventLoop loop,
        final SubscribeTarget target,
        final InetSocketAddress localAddress,
        final SubscriberStream[] streams,
        final long reconnectDelayMs)
    {
        super(loop, target, localAddress, reconnectDelayMs);
        this.streams = streams;
        this.streamIds = new int[streams.length];
        for (int i = 0; i < streams.length; i++)
        {
            streams[i].slot(i);
        }
    }

    /**
     * {@inheritDoc}
     */
    void finishStreams(final long nowNs)
    {
        for (final SubscriberStream stream : streams)
        {
            stream.finish(nowNs);
        }
    }

    /**
     * {@inheritDoc}
     */
    SubscriberStream[] streams()
    {
        return streams;
    }

    /**
     * Cancels the stream with {@code RST_STREAM CANCEL}; the connection and its other streams carry on.
     */
    void drop(final SubscriberStream stream)
    {
        final int streamId = streamIds[stream.slot()];
        if (null == codecContext || streamsById.get(streamId) != stream)
        {
            return;
        }
        codec.encoder().writeRstStream(codecContext, streamId, Http2Error.CANCEL.code(), codecContext.newPromise());
        codecContext.flush();
        onStreamEnded(streamId);
    }

    /**
     * {@inheritDoc}
     */
    void initChannel(final SocketChannel ch)
    {
        final Http2Connection connection = new DefaultHttp2Connection(false);
        codec = new Http2ConnectionHandlerBuilder()
            .connection(connection)
            .frameListener(new FrameListener())
            .initialSettings(Http2Settings.defaultSettings()
                .pushEnabled(false)
                .initialWindowSize(STREAM_WINDOW_BYTES))
            .build();
        ch.pipeline().addLast(new Clock());
        ch.pipeline().addLast(codec);
        ch.pipeline().addLast(new Lifecycle());
    }

    /**
     * {@inheritDoc}
     */
    void onConnectFailed(final Throwable cause)
    {
        streams[0].stats().add(LoopStats.CONNECT_ERRORS, streams.length);
        streams[0].stats().lastError("h2c connect: " + cause);
    }

    private void openStream(final SubscriberStream stream)
    {
        if (stopping || null == codecContext || !channel.isActive())
        {
            return;
        }
        final int streamId = codec.connection().local().incrementAndGetNextStreamId();
        if (streamId < 0)
        {
            // Stream ids exhausted: start a fresh connection.
            channel.close();
            return;
        }
        final Http2Headers headers = new DefaultHttp2Headers()
            .method("GET")
            .scheme("http")
            .authority(target.authority())
            .path(target.path(stream.topic()))
            .add("accept", "text/event-stream")
            .add("cache-control", "no-cache");
        final String lastEventId = stream.resumeFrom();
        if (null != lastEventId)
        {
            headers.add("last-event-id", lastEventId);
        }
        streamsById.put(streamId, stream);
        streamIds[stream.slot()] = streamId;
        codec.encoder().writeHeaders(codecContext, streamId, headers, 0, false, codecContext.newPromise());
    }

    private void onStreamEnded(final int streamId)
    {
        final SubscriberStream stream = streamsById.remove(streamId);
        if (null != stream)
        {
            stream.onDisconnected(nowNs);
            if (!stopping)
            {
                loop.schedule(() -> reopen(stream), reconnectDelayMs, TimeUnit.MILLISECONDS);
            }
        }
    }

    private void reopen(final SubscriberStream stream)
    {
        openStream(stream);
        if (null != codecContext)
        {
            codecContext.flush();
        }
    }

    /**
     * Reads the clock once per received buffer, before the codec decodes it into many frames.
     */
    private final class Clock extends ChannelInboundHandlerAdapter
    {
        public void channelRead(final ChannelHandlerContext ctx, final Object msg)
        {
            nowNs = System.nanoTime();
            ctx.fireChannelRead(msg);
        }
    }

    /**
     * Opens the streams once the preface is out and reopens the connection when it ends.
     */
    private final class Lifecycle extends ChannelInboundHandlerAdapter
    {
        public void channelActive(final ChannelHandlerContext ctx)
        {
            codecContext = ctx.pipeline().context(codec);
            try
            {
                codec.connection().local().flowController().incrementWindowSize(
                    codec.connection().connectionStream(), CONNECTION_WINDOW_BYTES - 65_535);
            }
            catch (final Exception ex)
            {
                streams[0].stats().lastError("h2c window: " + ex);
            }
            for (final SubscriberStream stream : streams)
            {
                openStream(stream);
            }
            codecContext.flush();
            ctx.fireChannelActive();
        }

        public void channelInactive(final ChannelHandlerContext ctx)
        {
            final long nowNs = System.nanoTime();
            for (final SubscriberStream stream : streams)
            {
                if (!stopping && !stream.isConnected() && streamsById.containsValue(stream))
                {
                    stream.stats().increment(LoopStats.CONNECT_ERRORS);
                    stream.stats().lastError("h2c connection closed before a response");
                }
                stream.onDisconnected(nowNs);
            }
            streamsById.clear();
            codecContext = null;
            scheduleReconnect();
            ctx.fireChannelInactive();
        }

        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            streams[0].stats().lastError("h2c: " + cause);
            ctx.close();
        }
    }

    /**
     * Feeds DATA frames to the streams' parsers.
     */
    private final class FrameListener extends Http2FrameAdapter
    {
        public void onHeadersRead(
            final ChannelHandlerContext ctx,
            final int streamId,
            final Http2Headers headers,
            final int padding,
            final boolean endOfStream)
        {
            final SubscriberStream stream = streamsById.get(streamId);
            if (null == stream)
            {
                return;
            }
            if (null != headers.status() && !STATUS_OK.contentEquals(headers.status()))
            {
                stream.stats().increment(LoopStats.CONNECT_ERRORS);
                stream.stats().lastError("h2c subscribe: status " + headers.status());
                codec.encoder().writeRstStream(ctx, streamId, Http2Error.CANCEL.code(), ctx.newPromise());
                ctx.flush();
                onStreamEnded(streamId);
                return;
            }
            if (null != headers.status())
            {
                stream.onConnected(nowNs);
            }
            if (endOfStream)
            {
                onStreamEnded(streamId);
            }
        }

        public void onHeadersRead(
            final ChannelHandlerContext ctx,
            final int streamId,
            final Http2Headers headers,
            final int streamDependency,
            final short weight,
            final boolean exclusive,
            final int padding,
            final boolean endOfStream)
        {
            onHeadersRead(ctx, streamId, headers, padding, endOfStream);
        }

        public int onDataRead(
            final ChannelHandlerContext ctx,
            final int streamId,
            final ByteBuf data,
            final int padding,
            final boolean endOfStream)
        {
            final int length = data.readableBytes();
            final SubscriberStream stream = streamsById.get(streamId);
            if (null != stream)
            {
                stream.parser().feed(data, data.readerIndex(), length, nowNs);
                if (endOfStream)
                {
                    onStreamEnded(streamId);
                }
            }
            return length + padding;
        }

        public void onRstStreamRead(final ChannelHandlerContext ctx, final int streamId, final long errorCode)
        {
            onStreamEnded(streamId);
        }

        public void onGoAwayRead(
            final ChannelHandlerContext ctx, final int lastStreamId, final long errorCode, final ByteBuf debugData)
        {
            ctx.close();
        }
    }
}

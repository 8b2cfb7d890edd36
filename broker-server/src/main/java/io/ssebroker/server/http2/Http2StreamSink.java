package io.ssebroker.server.http2;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Stream;
import io.ssebroker.codec.SseControlFrames;
import io.ssebroker.fanout.EvictionReason;
import io.ssebroker.fanout.SinkConnection;
import io.ssebroker.fanout.SubscriberCursor;
import io.ssebroker.fanout.SubscriberSink;

/**
 * One subscription carried by one HTTP/2 stream: the fan-out's writes become DATA frames on it.
 * Events are the shared encoded frames narrowed to their SSE bytes (a retained slice, no copy);
 * nothing is flushed here: the connection is flushed once per batch ({@link #endBatch()}).
 *
 * <h2>Back pressure</h2>
 * The stream is writable while its flow-control window and the connection's have room and the
 * socket takes bytes ({@code Http2RemoteFlowController.isWritable}). A stream whose window stays
 * closed stops advancing like a slow HTTP/1.1 subscriber and, past the grace period, is reset with
 * {@code RST_STREAM CANCEL}; the other streams of the connection go on. When the whole connection
 * has stopped taking bytes it is evicted as a whole instead.
 * <p>
 * <b>Threading:</b> confined to the connection's event loop.
 */
final class Http2StreamSink implements SubscriberSink
{
    private final Http2BrokerHandler connection;
    private final Http2Stream stream;
    private final int streamId;
    SubscriberCursor cursor;
    private boolean ended;

    Http2StreamSink(final Http2BrokerHandler connection, final Http2Stream stream)
    {
        this.connection = connection;
        this.stream = stream;
        this.streamId = stream.id();
    }

    int streamId()
    {
        return streamId;
    }

    @Override
    public boolean isWritable()
    {
        return !ended && connection.isWritable(stream);
    }

    @Override
    public void writeEvent(final ByteBuf frame, final int payloadOffset, final int payloadLength)
    {
        // The slice is ours alone: narrowing its indexes to the SSE bytes copies nothing.
        final int start = frame.readerIndex() + payloadOffset;
        frame.setIndex(start, start + payloadLength);
        connection.writeData(stream, frame, false);
    }

    @Override
    public void writeControl(final ByteBuf sseText)
    {
        connection.writeData(stream, sseText, false);
    }

    @Override
    public void writeHeartbeat()
    {
        connection.writeData(stream, SseControlFrames.heartbeat(), false);
    }

    @Override
    public SinkConnection endBatch()
    {
        return connection.sinkConnection();
    }

    @Override
    public void close(final EvictionReason reason)
    {
        if (ended)
        {
            return;
        }
        ended = true;
        if (EvictionReason.SLOW == reason || !connection.isWritable(stream))
        {
            // A stream that is not read would hold its END_STREAM, and our queue, for ever.
            connection.onSlowStream(this);
        }
        else
        {
            // Lapped or shutting down: end the body cleanly, so the client reconnects (and is told
            // in-band what it missed) instead of seeing an error.
            connection.writeData(stream, Unpooled.EMPTY_BUFFER, true);
            connection.sinkConnection().flush();
        }
    }

    /**
     * Resets the stream, for a stream that was not read.
     */
    void reset()
    {
        connection.resetStream(streamId, Http2Error.CANCEL);
    }

    /**
     * The stream ended (client reset, connection gone): the fan-out forgets it.
     */
    void onClosed()
    {
        ended = true;
    }
}

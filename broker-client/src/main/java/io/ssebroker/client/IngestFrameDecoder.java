package io.ssebroker.client;

import java.nio.charset.StandardCharsets;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import static io.ssebroker.client.IngestFrameDescriptor.ACK_BODY_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.ERROR_FIXED_BODY_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.MAX_INBOUND_FRAME_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.PING_BODY_BYTES;
import static io.ssebroker.client.IngestFrameDescriptor.TYPE_ACK;
import static io.ssebroker.client.IngestFrameDescriptor.TYPE_ERROR;
import static io.ssebroker.client.IngestFrameDescriptor.TYPE_PONG;
import static io.ssebroker.client.IngestFrameDescriptor.TYPE_WELCOME;
import static io.ssebroker.client.IngestFrameDescriptor.WELCOME_BODY_BYTES;

/**
 * Decodes broker-to-publisher frames and hands their fields straight to a {@link FrameHandler}, without
 * building message objects (an {@code ERROR} message is the only {@link String} it makes).
 * <p>
 * <b>Errors:</b> a frame that is not valid version 1 (length 0 or over {@link
 * IngestFrameDescriptor#MAX_INBOUND_FRAME_BYTES}, as {@link LengthPrefixFramer} finds it, an unknown type, a body whose length disagrees with its
 * fields) throws {@link IngestFrameException}, which reaches {@code exceptionCaught} further down the
 * pipeline; the decoder then discards everything else the connection sends.
 * <p>
 * <b>Reference counting:</b> the decoder owns what it reads: a frame split across reads is kept in one
 * cumulation buffer (a copy of the pieces, released once drained, or when the channel goes inactive or the
 * handler is removed); a buffer holding only whole frames is decoded in place and released. Its own
 * cumulation keeps the client on Netty's buffer and transport modules alone, without the codec module.
 * <p>
 * <b>Threading:</b> confined to the channel's event loop, as are the {@link FrameHandler} calls.
 */
public final class IngestFrameDecoder extends ChannelInboundHandlerAdapter
{
    /**
     * Receives decoded frames.
     */
    public interface FrameHandler
    {
        /**
         * {@code WELCOME}: the handshake succeeded.
         *
         * @param version       protocol version the broker speaks.
         * @param maxFrameBytes largest frame length the broker accepts.
         * @param maxDataBytes  largest publish data the broker accepts.
         * @param maxInFlight   unanswered publish frames beyond which the broker stops reading.
         * @param epochId       first event id of this broker run.
         * @param lastPublisherSeq version 2: highest publisher sequence the broker has taken from the
         *                      publisher id in {@code HELLO}; 0 for none and in version 1.
         */
        void onWelcome(int version, long maxFrameBytes, long maxDataBytes, long maxInFlight, long epochId,
            long lastPublisherSeq);

        /**
         * {@code ACK}.
         *
         * @param firstSeq first publish frame covered.
         * @param count    frames covered.
         * @param firstId  event id of {@code firstSeq}.
         */
        void onAck(long firstSeq, long count, long firstId);

        /**
         * {@code PONG}.
         *
         * @param nonce the nonce of the {@code PING} it answers.
         */
        void onPong(long nonce);

        /**
         * {@code ERROR}.
         *
         * @param seq     rejected publish frame, 0 for the connection.
         * @param code    error code.
         * @param message reason.
         */
        void onError(long seq, int code, String message);
    }

    private final FrameHandler handler;
    /** Finds each frame in the input; reused for every frame. */
    private final LengthPrefixFramer framer = new LengthPrefixFramer();
    private boolean failed;
    /** Bytes of a frame not yet complete, or null. */
    private ByteBuf cumulation;

    /**
     * @param handler receives decoded frames on the event loop.
     */
    public IngestFrameDecoder(final FrameHandler handler)
    {
        this.handler = handler;
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        if (!(msg instanceof ByteBuf))
        {
            ctx.fireChannelRead(msg);
            return;
        }
        final ByteBuf read = (ByteBuf)msg;
        if (failed)
        {
            read.release();
            return;
        }
        final ByteBuf in;
        if (null == cumulation)
        {
            in = read;
        }
        else
        {
            in = ctx.alloc().buffer(cumulation.readableBytes() + read.readableBytes());
            in.writeBytes(cumulation).writeBytes(read);
            cumulation.release();
            cumulation = null;
            read.release();
        }
        try
        {
            decode(in);
        }
        finally
        {
            if (in.isReadable() && !failed)
            {
                cumulation = in;
            }
            else
            {
                in.release();
            }
        }
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        releaseCumulation();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(final ChannelHandlerContext ctx)
    {
        releaseCumulation();
    }

    private void releaseCumulation()
    {
        if (null != cumulation)
        {
            cumulation.release();
            cumulation = null;
        }
    }

    /**
     * Decodes every whole frame in {@code in}, advancing its reader index past them.
     */
    void decode(final ByteBuf in)
    {
        final LengthPrefixFramer framer = this.framer;
        while (!failed)
        {
            final int framing = framer.wrap(in, in.readerIndex(), MAX_INBOUND_FRAME_BYTES);
            if (LengthPrefixFramer.FRAME != framing)
            {
                if (LengthPrefixFramer.BAD_LENGTH == framing)
                {
                    throw fail("frame length must be between 1 and " + MAX_INBOUND_FRAME_BYTES + ", was " + framer.length());
                }
                return;
            }

            final int type = in.getByte(framer.typeIndex());
            in.readerIndex(framer.endIndex());
            dispatch(in, type, framer.bodyIndex(), framer.bodyLength());
        }
    }

    private void dispatch(final ByteBuf in, final int type, final int bodyIndex, final int bodyLength)
    {
        switch (type)
        {
            case TYPE_ACK:
                expectBodyLength(type, bodyLength, ACK_BODY_BYTES);
                handler.onAck(in.getLong(bodyIndex), in.getUnsignedInt(bodyIndex + 8), in.getLong(bodyIndex + 12));
                break;

            case TYPE_ERROR:
                onErrorFrame(in, bodyIndex, bodyLength);
                break;

            case TYPE_PONG:
                expectBodyLength(type, bodyLength, PING_BODY_BYTES);
                handler.onPong(in.getLong(bodyIndex));
                break;

            case TYPE_WELCOME:
            {
                // Version 2 appends lastPublisherSeq and the deduplication window. The version byte
                // is read only when the body has one: an empty body read the next frame's first
                // byte, or past the input with an IndexOutOfBoundsException (found by fuzzing).
                final boolean v2 = bodyLength > 0 && IngestFrameDescriptor.VERSION_2 == in.getUnsignedByte(bodyIndex);
                expectBodyLength(type, bodyLength, v2 ? IngestFrameDescriptor.WELCOME_V2_BODY_BYTES : WELCOME_BODY_BYTES);
                handler.onWelcome(
                    in.getUnsignedByte(bodyIndex),
                    in.getUnsignedInt(bodyIndex + 1),
                    in.getUnsignedInt(bodyIndex + 5),
                    in.getUnsignedInt(bodyIndex + 9),
                    in.getLong(bodyIndex + 13),
                    v2 ? in.getLong(bodyIndex + WELCOME_BODY_BYTES) : 0);
            }
                break;

            default:
                throw fail("unknown frame type 0x" + Integer.toHexString(type & 0xFF));
        }
    }

    private void onErrorFrame(final ByteBuf in, final int bodyIndex, final int bodyLength)
    {
        if (bodyLength < ERROR_FIXED_BODY_BYTES)
        {
            throw fail("ERROR body must be at least " + ERROR_FIXED_BODY_BYTES + " bytes, was " + bodyLength);
        }
        final int messageLength = in.getUnsignedShort(bodyIndex + 10);
        expectBodyLength(TYPE_ERROR, bodyLength, ERROR_FIXED_BODY_BYTES + messageLength);
        final String message = in.toString(bodyIndex + ERROR_FIXED_BODY_BYTES, messageLength, StandardCharsets.UTF_8);
        handler.onError(in.getLong(bodyIndex), in.getUnsignedShort(bodyIndex + 8), message);
    }

    private void expectBodyLength(final int type, final int bodyLength, final int expectedBytes)
    {
        if (bodyLength != expectedBytes)
        {
            throw fail("frame type 0x" + Integer.toHexString(type & 0xFF) + " body must be " + expectedBytes +
                " bytes, was " + bodyLength);
        }
    }

    private IngestFrameException fail(final String message)
    {
        failed = true;
        return new IngestFrameException(message);
    }
}

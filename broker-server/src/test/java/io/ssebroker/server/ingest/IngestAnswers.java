package io.ssebroker.server.ingest;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;

import io.ssebroker.server.testing.IngestWire;

/**
 * Reads what a broker sent on one ingest connection, checking it against docs/ingest-protocol.md
 * alone: every frame a documented type with exactly its documented body; {@code WELCOME} first and
 * once; {@code ACK} runs in increasing order, each frame number answered at most once; {@code ERROR}
 * codes from the table, sequence 0 exactly for the connection-level ones, nothing after one of
 * those. The first departure is kept as {@link #problem()}.
 * <p>
 * <b>Threading:</b> any one thread; built from a snapshot of the bytes.
 */
final class IngestAnswers
{
    /** Version, three limits and the epoch id; the frame's length field is one more, 22. */
    private static final int WELCOME_V1_BODY = 21;
    /** Version 1's fields, then lastPublisherSeq and the deduplication window; length field 38. */
    private static final int WELCOME_V2_BODY = 37;
    private static final int ACK_BODY = 20;
    private static final int PONG_BODY = 8;
    private static final int ERROR_FIXED_BODY = 12;

    private final BitSet answered = new BitSet();
    private int welcomeVersion;
    private int fatalCode;
    private boolean partial;
    private String problem;

    private IngestAnswers()
    {
    }

    /**
     * @param epochId the broker's first id: no acknowledged id is below it.
     */
    static IngestAnswers parse(final byte[] bytes, final int length, final long epochId)
    {
        final IngestAnswers answers = new IngestAnswers();
        answers.read(ByteBuffer.wrap(bytes, 0, length), epochId);
        return answers;
    }

    private void read(final ByteBuffer in, final long epochId)
    {
        long lastAckSeq = 0;
        while (null == problem && in.remaining() >= 4)
        {
            final long length = in.getInt(in.position()) & 0xFFFFFFFFL;
            if (length < 1 || length > 1 + ERROR_FIXED_BODY + 65535)
            {
                problem = "frame length " + length;
                return;
            }
            if (in.remaining() < 4 + length)
            {
                break;
            }
            if (0 != fatalCode)
            {
                problem = "a frame after the connection-level ERROR " + fatalCode;
                return;
            }
            in.position(in.position() + 4);
            final int type = in.get() & 0xFF;
            final ByteBuffer body = in.slice();
            body.limit((int)length - 1);
            in.position(in.position() + (int)length - 1);
            if (IngestWire.WELCOME == type)
            {
                onWelcome(body);
            }
            else if (0 == welcomeVersion && IngestWire.ERROR != type)
            {
                problem = "frame type 0x" + Integer.toHexString(type) + " before WELCOME";
            }
            else if (IngestWire.ACK == type)
            {
                lastAckSeq = onAck(body, lastAckSeq, epochId);
            }
            else if (IngestWire.PONG == type)
            {
                expectBody("PONG", body, PONG_BODY);
            }
            else if (IngestWire.ERROR == type)
            {
                onError(body);
            }
            else
            {
                problem = "undocumented frame type 0x" + Integer.toHexString(type);
            }
        }
        partial = in.hasRemaining();
    }

    private void onWelcome(final ByteBuffer body)
    {
        if (0 != welcomeVersion)
        {
            problem = "a second WELCOME";
            return;
        }
        final int version = body.remaining() > 0 ? body.get(0) & 0xFF : -1;
        if (1 != version && 2 != version)
        {
            problem = "WELCOME version " + version;
            return;
        }
        if (expectBody("WELCOME v" + version, body, 1 == version ? WELCOME_V1_BODY : WELCOME_V2_BODY))
        {
            welcomeVersion = version;
        }
    }

    private long onAck(final ByteBuffer body, final long lastAckSeq, final long epochId)
    {
        if (!expectBody("ACK", body, ACK_BODY))
        {
            return lastAckSeq;
        }
        final long firstSeq = body.getLong(0);
        final long count = body.getInt(8) & 0xFFFFFFFFL;
        final long firstId = body.getLong(12);
        if (firstSeq <= lastAckSeq || count < 1 || firstSeq + count > Integer.MAX_VALUE || firstId < epochId)
        {
            problem = "ACK firstSeq " + firstSeq + " count " + count + " firstId " + firstId + " after ACK of " + lastAckSeq;
            return lastAckSeq;
        }
        for (long seq = firstSeq; seq < firstSeq + count; seq++)
        {
            answer(seq, "ACK");
        }
        return firstSeq;
    }

    private void onError(final ByteBuffer body)
    {
        if (body.remaining() < ERROR_FIXED_BODY)
        {
            problem = "ERROR body of " + body.remaining() + " bytes";
            return;
        }
        final int messageLength = body.getShort(10) & 0xFFFF;
        if (!expectBody("ERROR", body, ERROR_FIXED_BODY + messageLength))
        {
            return;
        }
        final long seq = body.getLong(0);
        final int code = body.getShort(8) & 0xFFFF;
        final String message = utf8(body, ERROR_FIXED_BODY, messageLength);
        if (null == message || message.isBlank())
        {
            problem = "ERROR " + code + " without a readable message";
            return;
        }
        if (0 == seq)
        {
            if (!isConnectionCode(code))
            {
                problem = "connection-level ERROR with code " + code + ": " + message;
                return;
            }
            fatalCode = code;
        }
        else if (isFrameCode(code) && seq > 0 && seq < Integer.MAX_VALUE)
        {
            answer(seq, "ERROR " + code);
        }
        else
        {
            problem = "ERROR seq " + seq + " code " + code + ": " + message;
        }
    }

    private void answer(final long seq, final String what)
    {
        if (answered.get((int)seq))
        {
            problem = what + " answers frame " + seq + " a second time";
            return;
        }
        answered.set((int)seq);
    }

    private boolean expectBody(final String what, final ByteBuffer body, final int bytes)
    {
        if (body.remaining() != bytes)
        {
            problem = what + " body of " + body.remaining() + " bytes, documented " + bytes;
            return false;
        }
        return true;
    }

    /** Codes 1-6 and 32: the connection is closed after them. */
    private static boolean isConnectionCode(final int code)
    {
        return code >= 1 && code <= 6 || 32 == code;
    }

    /** Codes 16-22: that publish is rejected and the connection goes on. */
    private static boolean isFrameCode(final int code)
    {
        return code >= 16 && code <= 22;
    }

    private static String utf8(final ByteBuffer body, final int offset, final int length)
    {
        final ByteBuffer text = body.duplicate();
        text.position(offset).limit(offset + length);
        try
        {
            return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(text)
                .toString();
        }
        catch (final CharacterCodingException ex)
        {
            return null;
        }
    }

    /**
     * @return true when frame numbers 1 to {@code numbered}, and no others, have their answer.
     */
    boolean answersExactly(final long numbered)
    {
        return answered.cardinality() == numbered &&
            (0 == numbered || 1 == answered.nextSetBit(0) && numbered + 1 == answered.length());
    }

    /** @return 1 or 2 once a WELCOME arrived, else 0. */
    int welcomeVersion()
    {
        return welcomeVersion;
    }

    /** @return the code of the connection-level ERROR, or 0. */
    int fatalCode()
    {
        return fatalCode;
    }

    /** @return true when the bytes end inside a frame. */
    boolean partial()
    {
        return partial;
    }

    /** @return the first departure from the protocol document, or null. */
    String problem()
    {
        return problem;
    }

    /** @return the frame numbers answered, for failure messages. */
    String answered()
    {
        return answered.toString();
    }
}

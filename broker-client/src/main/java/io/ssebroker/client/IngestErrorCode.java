package io.ssebroker.client;

/**
 * Error codes of the ingest protocol, and negative codes this client adds for failures that never reached
 * the wire.
 * <p>
 * Codes 1 to 15 and 32 and above are connection-level: the broker closes the connection and every frame not
 * yet answered fails with that code. Codes 16 to 31 reject one publish frame and the connection goes on.
 * <p>
 * <b>Threading:</b> constants and pure functions only.
 */
public final class IngestErrorCode
{
    /** Local: the connection closed (or could not be opened) before the frame was answered; it may or may not have been sequenced. */
    public static final int CONNECTION_CLOSED = -1;
    /** Local: the handshake or a blocking publish did not complete within its timeout. */
    public static final int TIMEOUT = -2;
    /** Local: the broker sent bytes that are not valid protocol version 1; the client closed the connection. */
    public static final int PROTOCOL_VIOLATION = -3;
    /** Local: {@link IngestClient#close()} closed the connection before the frame was answered. */
    public static final int CLOSED_BY_CLIENT = -4;
    /** Local: a publish from the event loop found the in-flight window full and could not wait. */
    public static final int BACK_PRESSURED = -5;

    public static final int BAD_FRAME = 1;
    public static final int BAD_HANDSHAKE = 2;
    public static final int UNSUPPORTED_VERSION = 3;
    public static final int AUTH_FAILED = 4;
    public static final int FRAME_TOO_LARGE = 5;
    public static final int FRAME_TIMEOUT = 6;
    public static final int INVALID_TOPIC = 16;
    public static final int INVALID_EVENT = 17;
    public static final int INVALID_UTF8 = 18;
    public static final int DATA_TOO_LARGE = 19;
    public static final int EMPTY_DATA = 20;
    /** Version 2: a publisher sequence without a publisher id, or not above the previous one on the connection. */
    public static final int INVALID_SEQUENCE = 21;
    /** Version 2: a resend of a publisher sequence taken earlier, whose id the broker no longer holds; not taken again. */
    public static final int SEQUENCE_TAKEN = 22;
    /**
     * Cluster mode: the shared stream (JetStream) did not acknowledge the publish within the broker's publish timeout.
     * It may or may not have been stored; a resend with the same publisher sequence or idempotency key is stored at
     * most once.
     */
    public static final int UNAVAILABLE = 23;
    public static final int SHUTTING_DOWN = 32;

    private static final int FIRST_FRAME_CODE = 16;
    private static final int LAST_FRAME_CODE = 31;

    private IngestErrorCode()
    {
    }

    /**
     * Whether an error code rejects a single publish frame rather than the connection.
     *
     * @param code error code from an {@code ERROR} frame.
     * @return true for codes 16 to 31.
     */
    public static boolean isFrameLevel(final int code)
    {
        return code >= FIRST_FRAME_CODE && code <= LAST_FRAME_CODE;
    }

    /**
     * Name of a code for logs and messages.
     *
     * @param code protocol or local error code.
     * @return the name from the protocol document, or {@code UNKNOWN(code)}.
     */
    public static String name(final int code)
    {
        switch (code)
        {
            case CONNECTION_CLOSED: return "CONNECTION_CLOSED";
            case TIMEOUT: return "TIMEOUT";
            case PROTOCOL_VIOLATION: return "PROTOCOL_VIOLATION";
            case CLOSED_BY_CLIENT: return "CLOSED_BY_CLIENT";
            case BACK_PRESSURED: return "BACK_PRESSURED";
            case BAD_FRAME: return "BAD_FRAME";
            case BAD_HANDSHAKE: return "BAD_HANDSHAKE";
            case UNSUPPORTED_VERSION: return "UNSUPPORTED_VERSION";
            case AUTH_FAILED: return "AUTH_FAILED";
            case FRAME_TOO_LARGE: return "FRAME_TOO_LARGE";
            case FRAME_TIMEOUT: return "FRAME_TIMEOUT";
            case INVALID_TOPIC: return "INVALID_TOPIC";
            case INVALID_EVENT: return "INVALID_EVENT";
            case INVALID_UTF8: return "INVALID_UTF8";
            case DATA_TOO_LARGE: return "DATA_TOO_LARGE";
            case EMPTY_DATA: return "EMPTY_DATA";
            case INVALID_SEQUENCE: return "INVALID_SEQUENCE";
            case SEQUENCE_TAKEN: return "SEQUENCE_TAKEN";
            case UNAVAILABLE: return "UNAVAILABLE";
            case SHUTTING_DOWN: return "SHUTTING_DOWN";
            default: return "UNKNOWN(" + code + ")";
        }
    }
}

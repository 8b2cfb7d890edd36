package io.ssebroker.client;

/**
 * A publish or a connection failed: carries the protocol error code (or a negative local code from
 * {@link IngestErrorCode}), the broker's message and the publish frame number it concerns.
 * <p>
 * <b>Threading:</b> immutable.
 */
public final class IngestException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int code;
    private final long seq;

    /**
     * @param code    protocol error code, or a negative local code.
     * @param seq     publish frame number, 0 when the error concerns the connection.
     * @param message reason, from the broker when it sent one.
     */
    public IngestException(final int code, final long seq, final String message)
    {
        super(IngestErrorCode.name(code) + (0 == seq ? "" : " seq=" + seq) + ": " + message);
        this.code = code;
        this.seq = seq;
    }

    /**
     * @param code    negative local code.
     * @param message reason.
     * @param cause   what failed underneath.
     */
    public IngestException(final int code, final String message, final Throwable cause)
    {
        super(IngestErrorCode.name(code) + ": " + message, cause);
        this.code = code;
        this.seq = 0;
    }

    /**
     * @return protocol error code, or a negative local code from {@link IngestErrorCode}.
     */
    public int code()
    {
        return code;
    }

    /**
     * @return publish frame number the error concerns, 0 for the connection.
     */
    public long seq()
    {
        return seq;
    }
}

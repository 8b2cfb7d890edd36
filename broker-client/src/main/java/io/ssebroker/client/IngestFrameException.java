package io.ssebroker.client;

/**
 * A frame from the broker that is not valid: the connection cannot be trusted to be in step any more.
 */
public final class IngestFrameException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong with the frame.
     */
    public IngestFrameException(final String message)
    {
        super(message);
    }
}

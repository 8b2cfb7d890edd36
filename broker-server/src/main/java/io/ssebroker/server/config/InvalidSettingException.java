package io.ssebroker.server.config;

/**
 * A setting that stops start-up: the message names the setting, the value, where it came from and what is allowed.
 */
public final class InvalidSettingException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message the whole explanation.
     */
    public InvalidSettingException(final String message)
    {
        super(message);
    }
}

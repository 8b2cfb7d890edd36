package io.ssebroker.server;

/**
 * The logging backend behind SLF4J, as the distribution provides it ({@code META-INF/services}): the server logs
 * through the SLF4J API only and leaves the choice of backend to the application that runs it. {@code serve}
 * applies the {@code log-format} and {@code log-level} settings through the first one found.
 */
public interface LogBackend
{
    /**
     * Replaces the backend's configuration: one line per record on standard error.
     *
     * @param format {@code text} or {@code json} (one JSON object per line).
     * @param level  {@code error}, {@code warn}, {@code info}, {@code debug} or {@code trace}.
     */
    void configure(String format, String level);
}

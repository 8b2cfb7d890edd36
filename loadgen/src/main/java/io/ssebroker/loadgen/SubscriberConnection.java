package io.ssebroker.loadgen;

/**
 * A connection carrying one (HTTP/1.1) or several (h2c) subscriber streams, reconnecting after a delay until
 * it is stopped.
 * <p>
 * <b>Threading:</b> {@link #start()} and {@link #stop()} may be called from any thread; they run their work on
 * the connection's event loop, where all its state lives.
 */
interface SubscriberConnection
{
    /**
     * Opens the connection and its streams.
     */
    void start();

    /**
     * Closes the books of its streams at the current time and closes the connection without reconnecting.
     */
    void stop();
}

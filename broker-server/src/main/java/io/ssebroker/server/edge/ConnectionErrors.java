package io.ssebroker.server.edge;

import io.netty.channel.ChannelHandlerContext;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.metrics.Counter;

import org.slf4j.Logger;

import java.io.IOException;

/**
 * What every connection handler does with an exception that reaches {@code exceptionCaught}: an I/O
 * error (a peer resetting its connection) is routine and only counted as such
 * ({@code connection_io_errors}); anything else is a handler exception, counted apart and logged.
 * The caller then closes the connection.
 * <p>
 * <b>Threading:</b> stateless; called on the connection's event loop.
 */
public final class ConnectionErrors
{
    private ConnectionErrors()
    {
    }

    /**
     * @param what the kind of connection, for the log line ("HTTP connection", "event stream", ...).
     */
    public static void onException(
        final BrokerCounters counters,
        final Logger log,
        final String what,
        final ChannelHandlerContext ctx,
        final Throwable cause)
    {
        if (cause instanceof IOException)
        {
            counters.increment(Counter.CONNECTION_IO_ERRORS);
        }
        else
        {
            counters.increment(Counter.HANDLER_EXCEPTIONS);
            log.warn("{} failed: {}", what, ctx.channel(), cause);
        }
    }
}

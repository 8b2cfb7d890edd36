package io.ssebroker.server;

import io.netty.channel.ChannelHandlerContext;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.metrics.Counter;

import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What every connection handler does with an exception that reaches {@code exceptionCaught}: count it,
 * and log it unless it is an I/O error (a peer resetting its connection is routine and only counted).
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
        counters.increment(Counter.HANDLER_EXCEPTIONS);
        if (!(cause instanceof IOException))
        {
            log.log(Level.WARNING, what + " failed: " + ctx.channel(), cause);
        }
    }
}

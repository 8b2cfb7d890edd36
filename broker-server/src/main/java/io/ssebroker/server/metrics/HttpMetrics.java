package io.ssebroker.server.metrics;

import io.ssebroker.metrics.MetricsRegistry;
import io.ssebroker.metrics.MetricsRegistry.Kind;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * HTTP metrics by protocol: responses by status code, and event streams opened and closed, from which the
 * subscribers each protocol holds follow. <b>Threading:</b> written from every connection's event loop (atomic
 * adds), read from any thread.
 */
public final class HttpMetrics
{
    /** The protocol a request or stream came in on, as the {@code protocol} label. */
    public enum Protocol
    {
        HTTP_1_1("http/1.1"),
        HTTP_2("h2");

        private final String label;

        Protocol(final String label)
        {
            this.label = label;
        }
    }

    /** Status codes the broker answers with; anything else is counted as {@code other}. */
    private static final int[] STATUSES = { 200, 204, 400, 401, 403, 404, 405, 408, 413, 414, 431, 503 };

    private final AtomicCounter[][] responses = new AtomicCounter[Protocol.values().length][STATUSES.length + 1];
    private final AtomicCounter[] opened = new AtomicCounter[Protocol.values().length];
    private final AtomicCounter[] closed = new AtomicCounter[Protocol.values().length];

    public HttpMetrics(final MetricsRegistry registry)
    {
        for (final Protocol protocol : Protocol.values())
        {
            final int p = protocol.ordinal();
            for (int i = 0; i < STATUSES.length; i++)
            {
                responses[p][i] = registry.counter(
                    "http_responses", Kind.COUNTER, "protocol", protocol.label, "status", Integer.toString(STATUSES[i]));
            }
            responses[p][STATUSES.length] = registry.counter(
                "http_responses", Kind.COUNTER, "protocol", protocol.label, "status", "other");
        }
        for (final Protocol protocol : Protocol.values())
        {
            final int p = protocol.ordinal();
            opened[p] = registry.counter("streams_opened_by_protocol", Kind.COUNTER, "protocol", protocol.label);
            closed[p] = registry.counter("streams_closed_by_protocol", Kind.COUNTER, "protocol", protocol.label);
        }
        for (final Protocol protocol : Protocol.values())
        {
            final int p = protocol.ordinal();
            registry.gauge("subscribers_by_protocol", () -> Math.max(0, opened[p].get() - closed[p].get()),
                "protocol", protocol.label);
        }
    }

    /** A response (or an event stream's head) with this status was written. */
    public void response(final Protocol protocol, final int status)
    {
        final AtomicCounter[] byStatus = responses[protocol.ordinal()];
        for (int i = 0; i < STATUSES.length; i++)
        {
            if (STATUSES[i] == status)
            {
                byStatus[i].increment();
                return;
            }
        }
        byStatus[STATUSES.length].increment();
    }

    /** An event stream began (its 200 is counted by {@link #response}). */
    public long subscribers(final Protocol protocol)
    {
        final int p = protocol.ordinal();
        return Math.max(0, opened[p].get() - closed[p].get());
    }

    /** An event stream was opened on this protocol. */
    public void streamOpened(final Protocol protocol)
    {
        opened[protocol.ordinal()].increment();
    }

    /** An event stream ended, for whatever reason. */
    public void streamClosed(final Protocol protocol)
    {
        closed[protocol.ordinal()].increment();
    }
}

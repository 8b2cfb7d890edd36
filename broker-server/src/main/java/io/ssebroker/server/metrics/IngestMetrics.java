package io.ssebroker.server.metrics;

import io.ssebroker.client.IngestErrorCode;
import io.ssebroker.metrics.MetricsRegistry;
import io.ssebroker.metrics.MetricsRegistry.Kind;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Answers on the ingest port: {@code ingest_acked_publishes} (publish frames acknowledged, counted per frame, not
 * per {@code ACK} run) and {@code ingest_errors{code}} ({@code ERROR} frames sent, by the protocol's code name).
 * <p>
 * <b>Threading:</b> written from every ingest connection's event loop (atomic adds), read from any thread.
 */
public final class IngestMetrics
{
    /** Every code the broker sends, as in docs/ingest-protocol.md. */
    private static final int[] CODES = {
        IngestErrorCode.BAD_FRAME, IngestErrorCode.BAD_HANDSHAKE, IngestErrorCode.UNSUPPORTED_VERSION,
        IngestErrorCode.AUTH_FAILED, IngestErrorCode.FRAME_TOO_LARGE, IngestErrorCode.FRAME_TIMEOUT,
        IngestErrorCode.INVALID_TOPIC, IngestErrorCode.INVALID_EVENT, IngestErrorCode.INVALID_UTF8,
        IngestErrorCode.DATA_TOO_LARGE, IngestErrorCode.EMPTY_DATA, IngestErrorCode.INVALID_SEQUENCE,
        IngestErrorCode.SEQUENCE_TAKEN, IngestErrorCode.SHUTTING_DOWN};
    private static final int MAX_CODE = 255;

    private final AtomicCounter acked;
    private final AtomicCounter[] errorsByCode = new AtomicCounter[MAX_CODE + 1];
    private final AtomicCounter otherErrors;

    public IngestMetrics(final MetricsRegistry registry)
    {
        acked = registry.counter("ingest_acked_publishes", Kind.COUNTER);
        for (final int code : CODES)
        {
            errorsByCode[code] = registry.counter("ingest_errors", Kind.COUNTER, "code", IngestErrorCode.name(code));
        }
        otherErrors = registry.counter("ingest_errors", Kind.COUNTER, "code", "other");
    }

    /**
     * @param frames publish frames one {@code ACK} answered.
     */
    public void acked(final int frames)
    {
        acked.getAndAdd(frames);
    }

    /**
     * @param code the code of an {@code ERROR} sent.
     */
    public void error(final int code)
    {
        final AtomicCounter counter = code >= 0 && code <= MAX_CODE ? errorsByCode[code] : null;
        (null == counter ? otherErrors : counter).increment();
    }
}

package io.ssebroker.metrics;

/**
 * Named counters of the broker. Names are what operators see.
 */
public enum Counter
{
    HTTP_REQUESTS("http_requests"),
    HTTP_BAD_REQUEST("http_rejected_bad_request"),
    HTTP_NOT_FOUND("http_rejected_not_found"),
    HTTP_METHOD_NOT_ALLOWED("http_rejected_method_not_allowed"),
    HTTP_BODY_TOO_LARGE("http_rejected_body_too_large"),
    HTTP_HEADERS_TOO_LARGE("http_rejected_headers_too_large"),
    HTTP_REQUEST_TIMEOUT("http_rejected_request_timeout"),
    HTTP_UNAVAILABLE("http_rejected_unavailable"),
    /** 401: no token, or one that is invalid or expired (JWT authentication on). */
    HTTP_UNAUTHORIZED("http_rejected_unauthorized"),
    /** 403: a valid token that does not allow the topic. */
    HTTP_FORBIDDEN("http_rejected_forbidden"),
    HTTP_PUBLISHES("http_publishes"),
    STREAMS_OPENED("streams_opened"),
    STREAMS_CLOSED("streams_closed"),
    HTTP2_CONNECTIONS("http2_connections"),
    HTTP2_UPGRADES("http2_upgrades"),
    /** A stream whose flow-control window stayed closed past the grace period, reset with RST_STREAM. */
    HTTP2_STREAMS_RESET_SLOW("http2_streams_reset_slow"),
    /** A connection that as a whole stopped taking bytes past the grace period, closed with GOAWAY. */
    HTTP2_CONNECTIONS_EVICTED_SLOW("http2_connections_evicted_slow"),
    /** Connection errors that sent GOAWAY ENHANCE_YOUR_CALM: rapid reset, CONTINUATION or empty-frame floods. */
    HTTP2_GOAWAY_ENHANCE_YOUR_CALM("http2_goaway_enhance_your_calm"),
    HTTP2_GOAWAY_PROTOCOL_ERROR("http2_goaway_protocol_error"),
    /** Other connection errors (flow control, frame size, compression, internal). */
    HTTP2_GOAWAY_OTHER_ERROR("http2_goaway_other_error"),
    /** Streams reset because the client broke a rule for that stream only. */
    HTTP2_STREAM_ERRORS("http2_stream_errors"),
    INGEST_CONNECTIONS("ingest_connections"),
    INGEST_PUBLISHES("ingest_publishes"),
    INGEST_REJECTED("ingest_rejected_publishes"),
    INGEST_PROTOCOL_ERRORS("ingest_protocol_errors"),
    /** HELLO refused with AUTH_FAILED: wrong static token, or no valid JWT. */
    INGEST_AUTH_FAILED("ingest_auth_failed"),
    /** PUBLISH frames refused because the publisher's token does not allow the topic. */
    INGEST_FORBIDDEN_TOPIC("ingest_rejected_forbidden_topic"),
    INGEST_BACK_PRESSURE("ingest_back_pressure_pauses"),
    CONNECTIONS_REFUSED_TOTAL("connections_refused_total_limit"),
    CONNECTIONS_REFUSED_PER_ADDRESS("connections_refused_per_address_limit"),
    CONNECTION_IO_ERRORS("connection_io_errors"),
    /** TLS connections whose handshake failed on what the client sent: not TLS at all, or refused by TLS itself. */
    TLS_HANDSHAKE_FAILURES("tls_handshake_failures"),
    SEQUENCER_ERRORS("sequencer_errors"),
    HANDLER_EXCEPTIONS("handler_exceptions");

    private final String metricName;

    Counter(final String metricName)
    {
        this.metricName = metricName;
    }

    public String metricName()
    {
        return metricName;
    }
}

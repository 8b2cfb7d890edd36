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
    HTTP_PUBLISHES("http_publishes"),
    STREAMS_OPENED("streams_opened"),
    STREAMS_CLOSED("streams_closed"),
    INGEST_CONNECTIONS("ingest_connections"),
    INGEST_PUBLISHES("ingest_publishes"),
    INGEST_REJECTED("ingest_rejected_publishes"),
    INGEST_PROTOCOL_ERRORS("ingest_protocol_errors"),
    INGEST_BACK_PRESSURE("ingest_back_pressure_pauses"),
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

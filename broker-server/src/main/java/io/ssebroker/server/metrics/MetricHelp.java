package io.ssebroker.server.metrics;

import java.util.HashMap;
import java.util.Map;

/**
 * The {@code # HELP} line of each broker metric.
 */
final class MetricHelp
{
    private static final Map<String, String> HELP = new HashMap<>();

    static
    {
        HELP.put("http_requests", "HTTP requests received (both protocols)");
        HELP.put("http_rejected_bad_request", "HTTP requests answered 400");
        HELP.put("http_rejected_not_found", "HTTP requests answered 404");
        HELP.put("http_rejected_method_not_allowed", "HTTP requests answered 405");
        HELP.put("http_rejected_body_too_large", "HTTP requests answered 413");
        HELP.put("http_rejected_headers_too_large", "HTTP requests answered 414 or 431");
        HELP.put("http_rejected_request_timeout", "HTTP requests not complete within the request timeout (408)");
        HELP.put("http_rejected_unavailable", "HTTP requests answered 503");
        HELP.put("http_rejected_unauthorized", "HTTP requests answered 401 (no, an invalid or an expired token)");
        HELP.put("http_rejected_forbidden", "HTTP requests answered 403 (the token does not allow the topic)");
        HELP.put("http_publishes", "Events taken through POST /publish");
        HELP.put("streams_opened", "Event streams opened");
        HELP.put("streams_closed", "Event streams closed");
        HELP.put("http2_connections", "HTTP/2 connections accepted");
        HELP.put("http2_upgrades", "HTTP/1.1 connections upgraded to h2c");
        HELP.put("http2_streams_reset_slow", "HTTP/2 streams reset because they stayed slow");
        HELP.put("http2_connections_evicted_slow", "HTTP/2 connections closed because their window stayed closed");
        HELP.put("http2_goaway_enhance_your_calm", "HTTP/2 connections ended with GOAWAY ENHANCE_YOUR_CALM (floods)");
        HELP.put("http2_goaway_protocol_error", "HTTP/2 connections ended with GOAWAY PROTOCOL_ERROR");
        HELP.put("http2_goaway_other_error", "HTTP/2 connections ended with another GOAWAY error");
        HELP.put("http2_stream_errors", "HTTP/2 stream errors");
        HELP.put("ingest_connections", "Ingest connections accepted");
        HELP.put("ingest_publishes", "Events taken on the ingest port");
        HELP.put("ingest_rejected_publishes", "Ingest PUBLISH frames answered with an ERROR");
        HELP.put("ingest_protocol_errors", "Ingest connections closed for a protocol error");
        HELP.put("ingest_auth_failed", "Ingest HELLOs refused with AUTH_FAILED");
        HELP.put("ingest_rejected_forbidden_topic", "Ingest PUBLISH frames refused: the token does not allow the topic");
        HELP.put("ingest_acked_publishes", "Ingest PUBLISH frames acknowledged (per frame, not per ACK run)");
        HELP.put("ingest_errors", "Ingest ERROR frames sent, by code");
        HELP.put("ingest_back_pressure_pauses", "Times an ingest connection stopped being read (back-pressure)");
        HELP.put("connections_refused_total_limit", "Connections refused over --max-connections");
        HELP.put("connections_refused_per_address_limit", "Connections refused over --max-connections-per-address");
        HELP.put("connection_io_errors", "Connections that ended with an I/O error (usually the peer resetting)");
        HELP.put("tls_handshake_failures", "TLS connections whose handshake failed on what the client sent (plain HTTP, no shared cipher, ...)");
        HELP.put("sequencer_errors", "Errors thrown by the sequencer (each is logged)");
        HELP.put("handler_exceptions", "Unexpected exceptions in connection handlers (each is logged)");
        HELP.put("events_delivered", "Events written to subscribers, replays included, per event loop");
        HELP.put("event_bytes_delivered", "SSE bytes of the events written to subscribers (without transport framing)");
        HELP.put("subscriber_stalls", "Times a subscriber stopped advancing because its connection was not writable");
        HELP.put("subscriber_conflations", "Times a subscriber on a conflated topic skipped to the newest event");
        HELP.put("subscriber_resets_sent", "reset notices sent to resuming subscribers");
        HELP.put("deep_replays", "Resumes from below this node's history served from the cluster's stream");
        HELP.put("deep_replay_failures", "Deep replays that could not read the stream (answered history-truncated)");
        HELP.put("deep_replay_shared_loads", "Deep-replay chunks served from another resume's read of the same point");
        HELP.put("deep_replay_events", "Events written to resuming subscribers from the cluster's stream");
        HELP.put("heartbeats_sent", "Heartbeat comments sent on idle streams");
        HELP.put("subscriber_writes_lingered", "Subscriber writes held for the write linger, per event loop");
        HELP.put("subscribers", "Subscribers held, per event loop");
        HELP.put("subscribers_evicted", "Subscribers evicted, per event loop and reason");
        HELP.put("events_sequenced", "Events given an id and appended to the log");
        HELP.put("publish_duplicates_answered", "Resent publishes answered with their original id, not appended again");
        HELP.put("frame_bytes_encoded", "Bytes of encoded frames appended to the log");
        HELP.put("history_retained_events", "Events held in history over all topics");
        HELP.put("history_retained_bytes", "Frame bytes held in history over all topics");
        HELP.put("log_lag_entries", "Log entries published but not yet applied, per event loop");
        HELP.put("ingest_ring_used_bytes", "Bytes waiting in the ingest ring for the sequencer");
        HELP.put("ingest_ring_capacity_bytes", "Capacity of the ingest ring");
    }

    private MetricHelp()
    {
    }

    static String of(final String name)
    {
        return HELP.getOrDefault(name, name.replace('_', ' '));
    }
}

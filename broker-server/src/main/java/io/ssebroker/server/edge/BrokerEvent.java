package io.ssebroker.server.edge;

/** User events fired on ingest and HTTP channels while the broker shuts down, in this order. */
public enum BrokerEvent
{
    /** Stop reading new requests and publishes; answer what was already taken. */
    STOP_READING,
    /** Send final acknowledgements and close. */
    SHUTDOWN
}

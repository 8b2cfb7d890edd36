/**
 * Hand-off from the ingest edges (TCP ingest connections, HTTP publish) to the sequencer: the
 * many-to-one {@link io.ssebroker.ingest.IngestRing} and the per-connection
 * {@link io.ssebroker.ingest.PublisherSession} through which the sequencer returns assigned ids.
 * <p>
 * Threads: producers are event loops (one {@link io.ssebroker.ingest.IngestRing.Producer} each);
 * the consumer is the sequencer thread.
 */
package io.ssebroker.ingest;

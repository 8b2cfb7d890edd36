package io.ssebroker.fanout;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What the engine hands a {@link SubscriberSink}: SSE text without transport framing, the payload
 * position of each shared frame, and one flush per shared connection per batch.
 */
class SinkSeamTest
{
    @Test
    void shouldWritePreambleAsSseTextBeforeAnything()
    {
        try (EngineHarness engine = new EngineHarness(100, 1 << 30, false))
        {
            engine.publish("t", "", "old");
            final RecordingSink sink = new RecordingSink();
            engine.subscribe(sink, Long.toString(EngineHarness.EPOCH - 1), "t");
            assertEquals("retry: " + EngineHarness.RETRY_MS + "\n: ok\n\n" +
                "id: " + EngineHarness.EPOCH + "\ndata: old\n\n", sink.text.toString());
        }
    }

    @Test
    void shouldLocateEachEventsSseBytesInsideItsChunk()
    {
        try (EngineHarness engine = new EngineHarness(100, 1 << 30, false))
        {
            final RecordingSink sink = new RecordingSink();
            engine.subscribe(sink, null, "t");
            sink.text.setLength(0);
            final String longData = "x".repeat(300);
            engine.publish("t", "quote", "a\nb");
            engine.publish("t", "", longData);
            final String first = "id: " + EngineHarness.EPOCH + "\nevent: quote\ndata: a\ndata: b\n\n";
            final String second = "id: " + (EngineHarness.EPOCH + 1) + "\ndata: " + longData + "\n\n";
            assertEquals(first + second, sink.text.toString());
            // The frames themselves are whole chunks; the payload is exactly what lies between the framing.
            assertEquals(
                Integer.toHexString(first.length()) + "\r\n" + first + "\r\n" +
                Integer.toHexString(second.length()) + "\r\n" + second + "\r\n",
                sink.frames.toString());
        }
    }

    @Test
    void shouldFlushSharedConnectionOnceAfterAllItsStreamsWrote()
    {
        try (EngineHarness engine = new EngineHarness(100, 1 << 30, false))
        {
            final CountingConnection connection = new CountingConnection();
            final RecordingSink[] streams = new RecordingSink[100];
            for (int i = 0; i < streams.length; i++)
            {
                streams[i] = new RecordingSink();
                streams[i].shared = connection;
                engine.subscribe(streams[i], null, "t" + (i % 3));
            }
            final int flushesAfterSubscribes = connection.flushes;
            assertEquals(100, flushesAfterSubscribes, "each subscribe ends its own batch");

            engine.publish("t0", "", "a");
            engine.publish("t1", "", "b");
            engine.publish("t2", "", "c");
            assertEquals(flushesAfterSubscribes + 3, connection.flushes, "one flush per drained batch");

            engine.publishBatch("t0", "t1", "t2");
            assertEquals(flushesAfterSubscribes + 4, connection.flushes, "three topics, one batch: one flush");
            for (final RecordingSink stream : streams)
            {
                assertEquals(2, stream.ids().size(), "every stream got both its events");
            }
        }
    }

    private static final class CountingConnection extends SinkConnection
    {
        int flushes;

        @Override
        public void flush()
        {
            flushes++;
        }
    }
}

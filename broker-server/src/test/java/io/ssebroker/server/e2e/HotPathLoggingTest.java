package io.ssebroker.server.e2e;

import io.ssebroker.client.IngestClient;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * No logging on the hot path: with every broker logger at its most verbose (SLF4J goes to java.util.logging in
 * the tests), publishing, sequencing and fanning out thousands of events to subscribers over both loops logs
 * nothing at all, not even at TRACE.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HotPathLoggingTest
{
    private static final int SUBSCRIBERS = 20;
    private static final int EVENTS = 2_000;

    @Test
    void shouldLogNothingWhileEventsFlow() throws Exception
    {
        final Logger brokerLoggers = Logger.getLogger("io.ssebroker");
        final Level previous = brokerLoggers.getLevel();
        final List<String> records = new ArrayList<>();
        final Handler capture = new Handler()
        {
            @Override
            public void publish(final LogRecord record)
            {
                synchronized (records)
                {
                    records.add(record.getLevel() + " " + record.getLoggerName() + ": " + record.getMessage());
                }
            }

            @Override
            public void flush()
            {
            }

            @Override
            public void close()
            {
            }
        };
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0));
             IngestClient publisher = IngestClient.connect("127.0.0.1", broker.ingestPort(), "", "hot-path"))
        {
            final List<SseStream> streams = new ArrayList<>();
            try
            {
                for (int i = 0; i < SUBSCRIBERS; i++)
                {
                    streams.add(SseStream.open(broker.httpPort(), "/events?topic=hot" + (i % 2)));
                }
                Await.until("subscribed", () -> SUBSCRIBERS == broker.subscribers());

                brokerLoggers.setLevel(Level.ALL);
                brokerLoggers.addHandler(capture);
                final List<CompletableFuture<Long>> acks = new ArrayList<>();
                for (int i = 0; i < EVENTS; i++)
                {
                    acks.add(publisher.publish("hot" + (i % 2), null, ("event " + i).getBytes(StandardCharsets.UTF_8)));
                }
                for (final CompletableFuture<Long> ack : acks)
                {
                    ack.get(10, TimeUnit.SECONDS);
                }
                Await.until("every event delivered", () -> (long)EVENTS / 2 * SUBSCRIBERS == broker.deliveries());
                brokerLoggers.removeHandler(capture);
            }
            finally
            {
                brokerLoggers.removeHandler(capture);
                brokerLoggers.setLevel(previous);
                for (final SseStream stream : streams)
                {
                    stream.close();
                }
            }
        }
        synchronized (records)
        {
            assertEquals(0, records.size(), () -> records.size() + " log records while events flowed, the first: " +
                records.subList(0, Math.min(5, records.size())));
        }
    }
}

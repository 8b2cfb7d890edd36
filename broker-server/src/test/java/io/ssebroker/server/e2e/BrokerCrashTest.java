package io.ssebroker.server.e2e;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.ssebroker.client.IngestClient;
import io.ssebroker.client.IngestErrorCode;
import io.ssebroker.client.IngestException;
import io.ssebroker.server.testing.RawHttp;
import io.ssebroker.server.testing.SseEvent;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code kill -9} of a broker process while a publisher and a subscriber run, then a restart on the
 * same ports: the publisher knows exactly which events were acknowledged (every publish is either
 * acknowledged or failed, and the acknowledged ones are a prefix), the subscriber got a gap-free
 * prefix of the log with the acknowledged ids, and on resuming from the restarted broker it gets
 * the documented {@code reset} with reason {@code unknown-epoch}, never a silent gap.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BrokerCrashTest
{
    private static final String TOPIC = "crash";
    private static final int EVENTS = 200_000;
    private static final int KILL_AFTER_ACKS = 20_000;

    @Test
    void shouldLeaveAcknowledgedPrefixAndResetResumingSubscribersAfterKill9() throws Exception
    {
        final int httpPort = freePort();
        final int ingestPort = freePort();
        Process broker = startBroker(httpPort, ingestPort);
        Process restarted = null;
        try
        {
            final List<SseEvent> received = new ArrayList<>();
            final SseStream stream = SseStream.open(httpPort, "/events?topic=" + TOPIC);
            final Thread subscriber = new Thread(() ->
            {
                try
                {
                    while (true)
                    {
                        final SseEvent event = stream.nextEvent();
                        synchronized (received)
                        {
                            received.add(event);
                        }
                    }
                }
                catch (final Throwable ended)
                {
                    // The broker died: the stream ends here.
                }
            }, "subscriber");
            subscriber.start();

            final List<CompletableFuture<Long>> futures = new ArrayList<>(EVENTS);
            final AtomicLong acknowledged = new AtomicLong();
            final IngestClient publisher = IngestClient.connect(
                new IngestClient.Context().port(ingestPort).publishTimeoutMs(5_000));
            try
            {
                for (int i = 1; i <= EVENTS; i++)
                {
                    final CompletableFuture<Long> future =
                        publisher.publish(TOPIC, null, ("c-" + i).getBytes(StandardCharsets.UTF_8));
                    future.thenRun(acknowledged::incrementAndGet);
                    futures.add(future);
                    if (acknowledged.get() >= KILL_AFTER_ACKS && broker.isAlive())
                    {
                        broker.destroyForcibly(); // SIGKILL: no shutdown path runs
                        broker.waitFor(10, TimeUnit.SECONDS);
                    }
                    if (publisher.isClosed())
                    {
                        break;
                    }
                }
            }
            finally
            {
                publisher.close(0);
            }
            assertTrue(!broker.isAlive(), "the broker was killed mid-run");

            // Every publish has its answer: an id, or a failure saying the connection ended.
            int acknowledgedPrefix = 0;
            boolean failedSeen = false;
            for (final CompletableFuture<Long> future : futures)
            {
                try
                {
                    future.get(10, TimeUnit.SECONDS);
                    assertTrue(!failedSeen, "an acknowledged publish after a failed one");
                    acknowledgedPrefix++;
                }
                catch (final ExecutionException ex)
                {
                    failedSeen = true;
                    assertTrue(ex.getCause() instanceof IngestException, String.valueOf(ex.getCause()));
                    final int code = ((IngestException)ex.getCause()).code();
                    assertTrue(IngestErrorCode.CONNECTION_CLOSED == code || IngestErrorCode.CLOSED_BY_CLIENT == code,
                        IngestErrorCode.name(code));
                }
            }
            assertTrue(acknowledgedPrefix >= KILL_AFTER_ACKS, "acknowledged " + acknowledgedPrefix);

            subscriber.join(10_000);
            final List<SseEvent> before;
            synchronized (received)
            {
                before = new ArrayList<>(received);
            }
            assertTrue(!before.isEmpty(), "the subscriber received events before the kill");
            for (int i = 0; i < before.size(); i++)
            {
                final SseEvent event = before.get(i);
                assertEquals("c-" + (i + 1), event.data(), "a gap-free prefix of what was published");
                if (i < acknowledgedPrefix)
                {
                    assertEquals((long)futures.get(i).get(), event.idAsLong(), "the acknowledged id");
                }
            }
            stream.close();

            restarted = startBroker(httpPort, ingestPort);
            final String lastId = before.get(before.size() - 1).id();
            try (SseStream resumed = SseStream.open(httpPort, "/events?topic=" + TOPIC, "Last-Event-ID: " + lastId))
            {
                final String reset = resumed.nextChunkText();
                assertTrue(reset.contains("event: reset\n"), reset);
                assertTrue(reset.contains("\"reason\":\"unknown-epoch\""), reset);
                assertTrue(reset.contains("\"lastEventId\":\"" + lastId + "\""), reset);

                final long id = RawHttp.publish(httpPort, TOPIC, "after-restart");
                final SseEvent next = resumed.nextEvent();
                assertEquals("after-restart", next.data());
                assertEquals(id, next.idAsLong());
            }
        }
        finally
        {
            broker.destroyForcibly();
            if (null != restarted)
            {
                restarted.destroyForcibly();
                restarted.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static Process startBroker(final int httpPort, final int ingestPort) throws Exception
    {
        final String java = ProcessHandle.current().info().command().orElse("java");
        final Process process = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
            "io.ssebroker.server.ServeCommand", "--host", "127.0.0.1",
            "--http-port", Integer.toString(httpPort), "--ingest-port", Integer.toString(ingestPort))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadlineNs)
        {
            if (!process.isAlive())
            {
                fail("broker process exited with " + process.exitValue());
            }
            try
            {
                if (200 == RawHttp.get(httpPort, "/health").status())
                {
                    return process;
                }
            }
            catch (final IOException notYet)
            {
                // Not listening yet.
            }
            Thread.sleep(50);
        }
        process.destroyForcibly();
        throw new AssertionError("broker did not start within 30 s");
    }

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0))
        {
            return socket.getLocalPort();
        }
    }
}

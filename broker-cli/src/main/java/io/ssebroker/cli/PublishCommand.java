package io.ssebroker.cli;

import io.ssebroker.client.IngestClient;
import io.ssebroker.client.IngestErrorCode;
import io.ssebroker.client.IngestException;
import io.ssebroker.server.BuildVersion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * {@code publish}: sends events over the ingest protocol and prints each one's assigned id, one per line, in the
 * order given. The events are the arguments after the options, or, without any, the lines of standard input
 * (LF or CRLF ended; a blank line is skipped, since the broker refuses empty data).
 * <p>
 * Publishing is pipelined: up to the broker's in-flight window of events are on the wire at once, and ids are
 * printed as the head of the line is answered, so {@code publish} keeps up with a fast producer on stdin. An event
 * the broker refuses is reported on standard error with its code, and publishing goes on; the exit status is
 * then {@value #EXIT_REFUSED}. A lost connection stops at once: events sent but unanswered may or may not have
 * been taken, and are listed as such.
 * <p>
 * <b>Threading:</b> runs on the caller's thread; answers complete on the client's event loop.
 */
@Command(
    name = "publish",
    mixinStandardHelpOptions = true,
    versionProvider = BuildVersion.class,
    sortOptions = false,
    description = {
        "Publish events over the ingest protocol and print each assigned id.",
        "Events are the DATA arguments, or the lines of standard input when none are given."})
final class PublishCommand implements Callable<Integer>
{
    /** Exit status when the broker refused at least one event. */
    static final int EXIT_REFUSED = 1;
    /** Exit status when the broker could not be reached or the connection was lost. */
    static final int EXIT_CONNECTION = 3;

    @Option(names = {"-t", "--topic"}, required = true, description = "Topic to publish to.")
    String topic;

    @Option(names = {"-e", "--event"}, description = "SSE event name (default: none, a plain message).")
    String event;

    @Option(names = "--host", description = "Broker address (default ${DEFAULT-VALUE}).")
    String host = "127.0.0.1";

    @Option(names = "--ingest-port", description = "Broker ingest port (default ${DEFAULT-VALUE}).")
    int ingestPort = 7070;

    @Option(names = "--token", description = "Token for HELLO, when the broker requires one.")
    String token;

    @Option(names = "--publisher-id",
        description = "Publisher id (protocol version 2): events get sequences after the highest the broker has "
            + "from this id, so a resend of an answered event is not taken twice.")
    String publisherId;

    @Option(names = "--timeout-ms", description = "Connect and per-event answer timeout (default ${DEFAULT-VALUE}).")
    long timeoutMs = 10_000;

    @Parameters(paramLabel = "DATA", arity = "0..*", description = "Event data, one event per argument.")
    List<String> data;

    private final InputStream stdin;
    private final PrintStream out;
    private final PrintStream err;

    PublishCommand()
    {
        this(System.in, System.out, System.err);
    }

    PublishCommand(final InputStream stdin, final PrintStream out, final PrintStream err)
    {
        this.stdin = stdin;
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws Exception
    {
        final IngestClient client;
        try
        {
            client = IngestClient.connect(new IngestClient.Context()
                .host(host)
                .port(ingestPort)
                .token(token)
                .name("sse-broker publish")
                .publisherId(publisherId)
                .connectTimeoutMs(timeoutMs)
                .publishTimeoutMs(timeoutMs));
        }
        catch (final IngestException ex)
        {
            err.println("publish: cannot connect to " + host + ":" + ingestPort + ": " + describe(ex));
            return EXIT_CONNECTION;
        }
        try (client)
        {
            final Pending pending = new Pending(client.lastPublisherSeq());
            if (null != data && !data.isEmpty())
            {
                for (final String line : data)
                {
                    if (!pending.publish(client, line))
                    {
                        break;
                    }
                }
            }
            else
            {
                final BufferedReader reader = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
                for (String line = reader.readLine(); null != line; line = reader.readLine())
                {
                    if (!line.isEmpty() && !pending.publish(client, line))
                    {
                        break;
                    }
                }
            }
            pending.drain(true);
            return pending.lost ? EXIT_CONNECTION : pending.refused > 0 ? EXIT_REFUSED : 0;
        }
    }

    private static String describe(final IngestException ex)
    {
        return ex.getMessage();
    }

    /**
     * Events sent and not yet printed, oldest first.
     */
    private final class Pending
    {
        private final ArrayDeque<CompletableFuture<Long>> futures = new ArrayDeque<>();
        private final ArrayDeque<Long> numbers = new ArrayDeque<>();
        private long nextPublisherSeq;
        private long sent;
        private long refused;
        private boolean lost;

        Pending(final long lastPublisherSeq)
        {
            nextPublisherSeq = lastPublisherSeq + 1;
        }

        /**
         * @return false when the connection is gone and nothing more can be sent.
         */
        boolean publish(final IngestClient client, final String line) throws InterruptedException
        {
            final byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
            final CompletableFuture<Long> future;
            try
            {
                future = null == publisherId ?
                    client.publish(topic, event, bytes) : client.publish(nextPublisherSeq++, topic, event, bytes);
            }
            catch (final IllegalArgumentException ex)
            {
                // Larger than the broker's frame limit: refused before it is sent.
                drain(true);
                refused++;
                err.println("publish: event " + (sent + 1) + " refused: " + ex.getMessage());
                sent++;
                return true;
            }
            futures.addLast(future);
            numbers.addLast(++sent);
            drain(false);
            return !lost;
        }

        /**
         * Prints the answers at the head of the line; with {@code all}, waits for every one.
         */
        void drain(final boolean all) throws InterruptedException
        {
            while (!futures.isEmpty() && (all || futures.peekFirst().isDone()))
            {
                final CompletableFuture<Long> head = futures.removeFirst();
                final long number = numbers.removeFirst();
                try
                {
                    out.println(head.get());
                }
                catch (final ExecutionException ex)
                {
                    final Throwable cause = ex.getCause();
                    final int code = cause instanceof IngestException ? ((IngestException)cause).code() : 0;
                    final String reason = cause instanceof IngestException ?
                        describe((IngestException)cause) : String.valueOf(cause);
                    if (IngestErrorCode.isFrameLevel(code))
                    {
                        refused++;
                        err.println("publish: event " + number + " refused: " + reason);
                    }
                    else
                    {
                        lost = true;
                        err.println("publish: event " + number + " unanswered (may or may not have been taken): " +
                            reason);
                    }
                }
            }
        }
    }
}

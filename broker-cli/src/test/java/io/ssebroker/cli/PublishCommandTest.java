package io.ssebroker.cli;

import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.SseEvent;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sse-broker publish} against a real broker: the ids it prints are the ids subscribers receive, in order,
 * for arguments and for standard input; a refused event is reported and counted in the exit status; an
 * unreachable broker is an exit status of its own.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PublishCommandTest
{
    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.withDefaults();

    @Test
    void shouldPrintTheIdsSubscribersReceiveForArguments() throws IOException
    {
        try (SseStream stream = SseStream.open(BROKER.httpPort(), "/events?topic=cli.args"))
        {
            final Run run = publish("", "-t", "cli.args", "-e", "note", "first", "second line");
            assertEquals(0, run.exit, run.err);
            assertEquals(2, run.ids().size(), run.out);
            final SseEvent first = stream.nextEvent();
            final SseEvent second = stream.nextEvent();
            assertEquals(new SseEvent(run.ids().get(0), "note", "first"), first);
            assertEquals(new SseEvent(run.ids().get(1), "note", "second line"), second);
        }
    }

    @Test
    void shouldPublishEachLineOfStandardInputAndSkipBlankLines() throws IOException
    {
        final int lines = 2_000;
        final StringBuilder input = new StringBuilder();
        for (int i = 0; i < lines; i++)
        {
            input.append("line-").append(i).append(0 == i % 2 ? "\n" : "\r\n");
            if (0 == i % 500)
            {
                input.append('\n');
            }
        }
        try (SseStream stream = SseStream.open(BROKER.httpPort(), "/events?topic=cli.stdin"))
        {
            final Run run = publish(input.toString(), "-t", "cli.stdin");
            assertEquals(0, run.exit, run.err);
            final List<String> ids = run.ids();
            assertEquals(lines, ids.size());
            for (int i = 0; i < lines; i++)
            {
                assertEquals(new SseEvent(ids.get(i), null, "line-" + i), stream.nextEvent());
            }
            for (int i = 1; i < lines; i++)
            {
                assertTrue(Long.parseLong(ids.get(i)) > Long.parseLong(ids.get(i - 1)), "ids increase");
            }
        }
    }

    @Test
    void shouldReportARefusedEventAndGoOn() throws IOException
    {
        try (SseStream stream = SseStream.open(BROKER.httpPort(), "/events?topic=cli.refused"))
        {
            final String tooLarge = "x".repeat(BROKER.broker().config().maxDataBytes() + 1);
            final Run run = publish(String.join("\n", "before", tooLarge, "after") + "\n", "-t", "cli.refused");
            assertEquals(PublishCommand.EXIT_REFUSED, run.exit, run.err);
            assertTrue(run.err.contains("event 2 refused") && run.err.contains("DATA_TOO_LARGE"), run.err);
            assertEquals(2, run.ids().size(), run.out);
            assertEquals(new SseEvent(run.ids().get(0), null, "before"), stream.nextEvent());
            assertEquals(new SseEvent(run.ids().get(1), null, "after"), stream.nextEvent());
        }
    }

    @Test
    void shouldExitWithTheConnectionStatusWhenNoBrokerListens() throws IOException
    {
        final int port;
        try (ServerSocket socket = new ServerSocket(0))
        {
            port = socket.getLocalPort();
        }
        final Run run = publish("", "--ingest-port", Integer.toString(port), "--timeout-ms", "2000", "-t", "t", "x");
        assertEquals(PublishCommand.EXIT_CONNECTION, run.exit);
        assertTrue(run.err.contains("cannot connect"), run.err);
        assertEquals("", run.out);
    }

    @Test
    void shouldContinuePublisherSequencesAcrossRuns() throws IOException
    {
        final Run first = publish("", "-t", "cli.seq", "--publisher-id", "cli-test", "a", "b");
        final Run second = publish("", "-t", "cli.seq", "--publisher-id", "cli-test", "c");
        assertEquals(0, first.exit, first.err);
        assertEquals(0, second.exit, second.err);
        // A second run's event is a new sequence (after the broker's highest), not a resend answered with an old id.
        assertTrue(Long.parseLong(second.ids().get(0)) > Long.parseLong(first.ids().get(1)), second.out);
    }

    private static Run publish(final String stdin, final String... args)
    {
        final List<String> all = new ArrayList<>(Arrays.asList(args));
        if (!all.contains("--ingest-port"))
        {
            all.addAll(0, List.of("--ingest-port", Integer.toString(BROKER.ingestPort())));
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final PublishCommand command = new PublishCommand(
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        final int exit = new CommandLine(command).execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private record Run(int exit, String out, String err)
    {
        List<String> ids()
        {
            return out.isEmpty() ? List.of() : List.of(out.split("\n"));
        }
    }
}

package io.ssebroker.server.ingest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.FuzzInputs;
import io.ssebroker.server.testing.IngestWire;
import io.ssebroker.server.testing.LocalConnection;
import io.ssebroker.server.testing.LocalPorts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connection-level error while publishes are still on their way to the sequencer: every publish
 * the broker numbered is answered before the {@code ERROR}, and the {@code ERROR} goes out as soon as
 * the last one is (docs/ingest-protocol.md, <i>ERROR</i>). Both were found by {@link IngestFuzzTest}:
 * the handler compared the sequencer's progress, read a second time, with the last number, so an
 * acknowledgement the sequencer published in between was never written, and a rejected publish at
 * the end kept the error waiting for the one-second safety timer.
 */
class IngestErrorAfterPublishesTest
{
    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.with(config -> config.maxInFlight(8));

    private static final byte[] HELLO = FuzzInputs.hex("0000000a 01 53534542 01 0000 0000");
    /** A PUBLISH whose topic length runs past its frame: BAD_FRAME, connection-level. */
    private static final byte[] BAD_FRAME = FuzzInputs.hex("00000009 10 0015 74 00 00000001 78");

    private static LocalPorts ports;

    @BeforeAll
    static void attach()
    {
        ports = LocalPorts.attach(broker.broker());
    }

    @AfterAll
    static void detach()
    {
        ports.close();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldAcknowledgeEveryPublishTakenBeforeTheConnectionError()
    {
        // Ten publishes against a window of eight: the last two are offered when the first
        // acknowledgements free the window, right before the bad frame, so the sequencer takes them
        // while the error is due, often in two batches. Read four bytes at a time, as the fuzzer's
        // input was; the race still needs many tries to show.
        final ByteArrayOutputStream input = new ByteArrayOutputStream();
        input.writeBytes(HELLO);
        for (int i = 0; i < 10; i++)
        {
            input.writeBytes(IngestWire.publishFrame("window", null, Integer.toString(i).getBytes(StandardCharsets.US_ASCII)));
        }
        input.writeBytes(BAD_FRAME);
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            assertAnswered(input.toByteArray(), 4, 10, "attempt " + attempt);
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void shouldSendTheConnectionErrorWithoutWaitingWhenTheLastPublishWasRejected()
    {
        // A publish, then one rejected for its topic, then the bad frame. Each connection took the
        // full one-second wait before the fix, twenty of them twice the timeout.
        final ByteArrayOutputStream input = new ByteArrayOutputStream();
        input.writeBytes(HELLO);
        input.writeBytes(IngestWire.publishFrame("ok", null, FuzzInputs.utf8("taken")));
        input.writeBytes(IngestWire.publishFrame("bad topic", null, FuzzInputs.utf8("rejected")));
        input.writeBytes(BAD_FRAME);
        for (int attempt = 0; attempt < 20; attempt++)
        {
            assertAnswered(input.toByteArray(), 0, 2, "attempt " + attempt);
        }
    }

    private static void assertAnswered(final byte[] input, final int pieceBytes, final int publishes, final String what)
    {
        try (LocalConnection connection = ports.connectIngest())
        {
            connection.write(input, pieceBytes);
            assertTrue(connection.await((bytes, length, closed) -> closed, Duration.ofSeconds(5)), what + ": closed");
            final byte[] received = connection.bytes();
            final IngestAnswers answers = IngestAnswers.parse(received, received.length, broker.epochId());
            final String detail = what + ": " + FuzzInputs.describe(received);
            assertNull(answers.problem(), detail);
            assertEquals(1, answers.fatalCode(), detail + ": BAD_FRAME");
            assertTrue(answers.answersExactly(publishes), detail + ": answered " + answers.answered());
        }
    }
}

package io.ssebroker.server.ingest;

import java.io.IOException;
import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.FuzzInputs;
import io.ssebroker.server.testing.FuzzRun;
import io.ssebroker.server.testing.LocalConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Coverage-guided fuzzing (Jazzer) of the ingest port: each input is one publisher connection,
 * through the real {@link IngestServerInitializer} pipeline of a running broker (sequencer, ring,
 * deduplication and all), over an in-memory connection ({@link LocalPorts}).
 * <p>
 * Input layout, so seeds can be written by hand:
 * <pre>
 *   byte 0   what comes before the rest, by its low two bits:
 *            0 nothing (the rest are the very first bytes), 1 a valid HELLO v1,
 *            2 a valid HELLO v2 without publisher id, 3 a valid HELLO v2 with publisher id "fuzz"
 *   byte 1   how the bytes are cut into reads, by its low four bits: 0 all at once, k: 2^(k-1) bytes per read
 *   byte 2…  sent as they are
 * </pre>
 * Pass means: only frames and codes docs/ingest-protocol.md documents ({@link IngestAnswers}), a
 * {@code WELCOME} for a valid {@code HELLO}, exactly one answer for every publish frame the broker
 * numbered (ACK or ERROR, also when the connection then fails), a connection-level error exactly
 * when one was counted, and then the close; no handler exception, no warning logged, no leak, and
 * the broker still serving ({@link FuzzRun}).
 * <p>
 * Without {@code JAZZER_FUZZ} this runs the seeds under {@code IngestFuzzTestInputs} as a
 * regression test; the build's {@code fuzz-ingest} execution fuzzes it for a bounded time.
 */
class IngestFuzzTest
{
    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.with(FuzzInputs::smallLimits);

    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(5);

    private static final byte[][] PREFIXES = {
        {},
        FuzzInputs.hex("0000000a 01 53534542 01 0000 0000"),
        FuzzInputs.hex("0000000b 01 53534542 02 0000 0000 00"),
        FuzzInputs.hex("0000000f 01 53534542 02 0000 0000 04 66757a7a"),
    };

    private static FuzzRun run;

    @BeforeAll
    static void attach() throws IOException
    {
        run = FuzzRun.start("ingest", broker);
    }

    @AfterAll
    static void detach() throws IOException
    {
        run.close();
    }

    @FuzzTest(maxDuration = "60s")
    void shouldAnswerOnlyWithDocumentedFramesWhateverThePublisherSends(final byte[] input) throws IOException
    {
        run.check(input, this::exchange);
    }

    private void exchange(final byte[] input) throws IOException
    {
        final int prefix = input.length > 0 ? input[0] & 3 : 0;
        final int pieceBytes = input.length > 1 ? FuzzInputs.pieceBytes(input[1]) : 0;
        final int start = Math.min(2, input.length);
        final BrokerCounters counters = broker.counters();
        final long numberedBefore = counters.get(Counter.INGEST_PUBLISHES) + counters.get(Counter.INGEST_REJECTED);
        final long fatalBefore = counters.get(Counter.INGEST_PROTOCOL_ERRORS);

        try (LocalConnection connection = run.ports().connectIngest())
        {
            connection.write(PREFIXES[prefix], 0).write(input, start, input.length - start, pieceBytes);
            final LongSupplier numberedNow = () ->
                counters.get(Counter.INGEST_PUBLISHES) + counters.get(Counter.INGEST_REJECTED) - numberedBefore;
            final LongSupplier fatalNow = () -> counters.get(Counter.INGEST_PROTOCOL_ERRORS) - fatalBefore;
            long numbered;
            long fatal;
            LocalConnection.Snapshot snapshot;
            while (true)
            {
                // Everything written has been read, unless the broker stopped reading (back pressure):
                // then more is numbered as acknowledgements arrive or the ring drains, so the count is
                // read on each arrival. What is checked is a snapshot taken between two equal counts.
                run.ports().barrier();
                if (!connection.await((bytes, length, closed) -> settled(bytes, length, closed, numberedNow, fatalNow),
                    ANSWER_TIMEOUT))
                {
                    fail("no complete answer within " + ANSWER_TIMEOUT.toMillis() + " ms to " + FuzzInputs.describe(input) +
                        ": " + numberedNow.getAsLong() + " publish frame(s) numbered, " + fatalNow.getAsLong() +
                        " connection error(s); received " + FuzzInputs.describe(connection.bytes()));
                }
                run.ports().barrier();
                numbered = numberedNow.getAsLong();
                fatal = fatalNow.getAsLong();
                snapshot = connection.snapshot();
                if (numbered == numberedNow.getAsLong() && fatal == fatalNow.getAsLong() && (snapshot.closed() ||
                    0 == fatal && IngestAnswers.parse(snapshot.bytes(), snapshot.bytes().length, broker.epochId())
                        .answersExactly(numbered)))
                {
                    break;
                }
            }

            final byte[] received = snapshot.bytes();
            final IngestAnswers answers = IngestAnswers.parse(received, received.length, broker.epochId());
            // Described only for a failure's message: describing every input cost a fifth of the run.
            final Supplier<String> what = () -> FuzzInputs.describe(input) + " answered " + FuzzInputs.describe(received);
            assertNull(answers.problem(), what);
            final long taken = numbered;
            assertTrue(answers.answersExactly(taken),
                () -> what.get() + ": frames answered " + answers.answered() + ", numbered 1.." + taken);
            assertEquals(fatal > 0, 0 != answers.fatalCode(),
                () -> what.get() + ": connection-level ERROR iff one was counted");
            assertEquals(fatal > 0, snapshot.closed(), () -> what.get() + ": closed iff a connection-level ERROR was sent");
            assertTrue(fatal <= 1, () -> what.get() + ": one connection-level error at most");
            if (0 != prefix && 0 == answers.fatalCode())
            {
                assertEquals(1 == prefix ? 1 : 2, answers.welcomeVersion(),
                    () -> what.get() + ": WELCOME for the valid HELLO");
            }
            assertNull(connection.failure(), what);
        }
    }

    /**
     * The broker has said all it will for now: every numbered publish answered and, when a
     * connection-level error was counted, its ERROR sent and the connection closed.
     */
    private static boolean settled(final byte[] bytes, final int length, final boolean closed, final LongSupplier numbered,
        final LongSupplier fatal)
    {
        if (closed)
        {
            // Nothing more will come; the caller checks what did.
            return true;
        }
        final IngestAnswers answers = IngestAnswers.parse(bytes, length, broker.epochId());
        // A departure from the protocol is reported by the caller, with the bytes.
        return null != answers.problem() || answers.answersExactly(numbered.getAsLong()) && 0 == fatal.getAsLong();
    }
}

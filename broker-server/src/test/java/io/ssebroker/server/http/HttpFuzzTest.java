package io.ssebroker.server.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.ssebroker.metrics.BrokerCounters;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.FuzzInputs;
import io.ssebroker.server.testing.FuzzRun;
import io.ssebroker.server.testing.LocalConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Coverage-guided fuzzing (Jazzer) of the HTTP port: each input is one client connection through
 * the real {@link HttpServerInitializer} pipeline of a running broker (protocol detection, Netty's
 * codec, the h2c upgrade handler, {@link HttpRequestHandler} with {@link RequestTarget}, {@link
 * SubscribeRequest}, {@link PublishRequest} and {@link FormBody}, event streams), over an in-memory
 * connection ({@link io.ssebroker.server.testing.LocalPorts}).
 * <p>
 * Input layout, so seeds can be written by hand:
 * <pre>
 *   byte 0   how the rest becomes the bytes sent, by its low two bits:
 *            0 as they are;
 *            1 a request written with bare line feeds: the head's lines get CRLF, and the body (after
 *              the first empty line) the right Content-Length, replacing any Content-Length or
 *              Transfer-Encoding line;
 *            2 as 1, with the body sent chunked;
 *            3 as 1, the request sent twice in a row (pipelined)
 *   byte 1   how the bytes are cut into reads, by its low four bits: 0 all at once, k: 2^(k-1) bytes per read
 *   byte 2…  the request
 * </pre>
 * Pass means: every answer a well-formed HTTP/1.1 response with a documented status, never a 5xx
 * other than 503 ({@link HttpAnswers}); every request the broker took answered unless it closed or
 * the connection became a stream; no handler exception, no warning logged, no leak, and the broker
 * still serving ({@link FuzzRun}). What HTTP/2 (prior knowledge or h2c) makes of the input is left to
 * the HTTP/2 tests; here it must only not throw, log or leak.
 * <p>
 * Without {@code JAZZER_FUZZ} this runs the seeds under {@code HttpFuzzTestInputs} as a regression
 * test; the build's {@code fuzz-http} execution fuzzes it for a bounded time.
 */
class HttpFuzzTest
{
    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.with(FuzzInputs::smallLimits);

    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(5);
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] HTTP2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private static FuzzRun run;

    @BeforeAll
    static void attach() throws IOException
    {
        run = FuzzRun.start("http", broker);
    }

    @AfterAll
    static void detach() throws IOException
    {
        run.close();
    }

    @FuzzTest(maxDuration = "60s")
    void shouldAnswerEveryRequestWithADocumentedStatus(final byte[] input) throws IOException
    {
        run.check(input, this::exchange);
    }

    private void exchange(final byte[] input) throws IOException
    {
        final int mode = input.length > 0 ? input[0] & 3 : 0;
        final int pieceBytes = input.length > 1 ? FuzzInputs.pieceBytes(input[1]) : 0;
        final int start = Math.min(2, input.length);
        final byte[] request = build(mode, input, start);
        final boolean http2 = startsWithPreface(request);
        final int complete = completeRequests(request);
        final BrokerCounters counters = broker.counters();
        final long requestsBefore = counters.get(Counter.HTTP_REQUESTS);
        // Requests the broker took whose bodies arrived too: one still waiting for its body is
        // answered only by the request timeout.
        final LongSupplier requestsNow = () -> Math.min(complete, counters.get(Counter.HTTP_REQUESTS) - requestsBefore);

        try (LocalConnection connection = run.ports().connectHttp())
        {
            connection.write(request, pieceBytes);
            long requests;
            LocalConnection.Snapshot snapshot;
            while (true)
            {
                // Everything written has been read, unless the broker stopped reading until earlier
                // answers are out; then it takes more as publish answers arrive, so the count is read
                // on each arrival. What is checked is a snapshot taken between two equal counts.
                run.ports().barrier();
                if (!connection.await((bytes, length, closed) -> closed || http2 || settled(bytes, length, requestsNow),
                    ANSWER_TIMEOUT))
                {
                    fail("no answer within " + ANSWER_TIMEOUT.toMillis() + " ms to " + FuzzInputs.describe(request) + ": " +
                        requestsNow.getAsLong() + " request(s) taken; received " + FuzzInputs.describe(connection.bytes()));
                }
                run.ports().barrier();
                requests = requestsNow.getAsLong();
                snapshot = connection.snapshot();
                final long requestsThen = requests;
                if (requests == requestsNow.getAsLong() && (snapshot.closed() || http2 ||
                    settled(snapshot.bytes(), snapshot.bytes().length, () -> requestsThen)))
                {
                    break;
                }
            }

            if (!http2)
            {
                final byte[] received = snapshot.bytes();
                final HttpAnswers answers = HttpAnswers.parse(received, received.length);
                // Described only for a failure's message: describing every input cost a fifth of the run.
                final Supplier<String> what = () ->
                    FuzzInputs.describe(request) + " answered " + FuzzInputs.describe(received);
                assertNull(answers.problem(), what);
                final long taken = requests;
                assertTrue(snapshot.closed() || answers.streaming() || answers.switched() ||
                    answers.finalAnswers() >= taken, () -> what.get() + ": " + taken + " request(s) taken, " +
                    answers.finalAnswers() + " answered, connection open");
            }
            assertNull(connection.failure(), () -> FuzzInputs.describe(request));
        }
    }

    /**
     * The broker has answered every request it took, or the connection became a stream or HTTP/2.
     */
    private static boolean settled(final byte[] bytes, final int length, final LongSupplier requests)
    {
        final HttpAnswers answers = HttpAnswers.parse(bytes, length);
        return null != answers.problem() || answers.streaming() || answers.switched() ||
            !answers.partial() && answers.finalAnswers() >= requests.getAsLong();
    }

    /**
     * @return how many requests the bytes hold completely, body included, as Netty's decoder with
     *         the broker's limits reads them; a malformed one counts once and ends the count (the
     *         broker answers it and closes).
     */
    private static int completeRequests(final byte[] request)
    {
        final EmbeddedChannel decoder = new EmbeddedChannel(new HttpRequestDecoder(
            HttpServerInitializer.MAX_REQUEST_LINE_BYTES, 8192, 65536));
        int complete = 0;
        try
        {
            decoder.writeInbound(Unpooled.wrappedBuffer(request));
            Object msg;
            while (null != (msg = decoder.readInbound()))
            {
                try
                {
                    if (msg instanceof HttpObject && ((HttpObject)msg).decoderResult().isFailure())
                    {
                        return complete + 1;
                    }
                    if (msg instanceof LastHttpContent)
                    {
                        complete++;
                    }
                }
                finally
                {
                    ReferenceCountUtil.release(msg);
                }
            }
            return complete;
        }
        finally
        {
            decoder.finishAndReleaseAll();
        }
    }

    private static byte[] build(final int mode, final byte[] input, final int start)
    {
        if (0 == mode)
        {
            return Arrays.copyOfRange(input, start, input.length);
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream(input.length + 64);
        final byte[] request = normalised(input, start, 2 == mode);
        out.writeBytes(request);
        if (3 == mode)
        {
            out.writeBytes(request);
        }
        return out.toByteArray();
    }

    /**
     * The head's lines with CRLF and the body framed by the harness: Content-Length, or chunks of
     * one to seven bytes (the sizes cycle) when {@code chunked}.
     */
    private static byte[] normalised(final byte[] input, final int start, final boolean chunked)
    {
        int headEnd = -1;
        for (int i = start; i + 1 < input.length; i++)
        {
            if ('\n' == input[i] && '\n' == input[i + 1])
            {
                headEnd = i;
                break;
            }
        }
        final int bodyStart = headEnd < 0 ? input.length : headEnd + 2;
        final String head = new String(input, start, (headEnd < 0 ? input.length : headEnd) - start, StandardCharsets.ISO_8859_1);
        final ByteArrayOutputStream out = new ByteArrayOutputStream(input.length + 64);
        for (final String line : head.split("\n", -1))
        {
            final String name = line.toLowerCase(Locale.ROOT);
            if (!name.startsWith("content-length:") && !name.startsWith("transfer-encoding:") && !line.isEmpty())
            {
                out.writeBytes(line.getBytes(StandardCharsets.ISO_8859_1));
                out.writeBytes(CRLF);
            }
        }
        final int bodyLength = input.length - bodyStart;
        if (chunked)
        {
            out.writeBytes("Transfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            for (int i = bodyStart, size = 1; i < input.length; i += size, size = size % 7 + 1)
            {
                final int n = Math.min(size, input.length - i);
                out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(input, i, n);
                out.writeBytes(CRLF);
            }
            out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        else
        {
            if (bodyLength > 0 || head.startsWith("POST"))
            {
                out.writeBytes(("Content-Length: " + bodyLength + "\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            out.writeBytes(CRLF);
            out.write(input, bodyStart, bodyLength);
        }
        return out.toByteArray();
    }

    private static boolean startsWithPreface(final byte[] request)
    {
        for (int i = 0; i < Math.min(request.length, HTTP2_PREFACE.length); i++)
        {
            if (request[i] != HTTP2_PREFACE[i])
            {
                return false;
            }
        }
        return request.length > 0;
    }
}

package io.ssebroker.server.e2e;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.ssebroker.metrics.Counter;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.ExternalTools;
import io.ssebroker.server.testing.RawHttp;
import io.ssebroker.server.testing.ToolProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * nghttp (nghttp2's reference client) multiplexing many subscriptions over one h2c connection: the
 * broker's per-connection stream handling, fan-out to streams sharing a socket and flow control seen
 * by an independent implementation.
 * <p>
 * nghttp prints every frame it receives with {@code -v}; a DATA frame's payload is written to the
 * same output just before its line, which is printed once the frame is complete and flushes the
 * output. The test reconstructs each stream's body from that, byte for byte.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Http2NghttpTest
{
    private static final int STREAMS = 100;
    private static final String PREAMBLE = "retry: 3000\n: ok\n\n";
    /** nghttp's line for a received DATA frame, printed right after the frame's payload. */
    private static final Pattern DATA_FRAME =
        Pattern.compile("\\[ *[0-9.]+\\] recv DATA frame <length=([0-9]+), flags=0x([0-9a-f]+), stream_id=([0-9]+)>\n");

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();

    private static String nghttp;

    @BeforeAll
    static void requireNghttp()
    {
        nghttp = ExternalTools.require("nghttp", "nghttp2-client");
    }

    @Test
    void shouldDeliverEventExactlyOnceToEachOfHundredStreamsOnOneConnection() throws Exception
    {
        final long connections = broker.counters().get(Counter.HTTP2_CONNECTIONS);
        final long opened = broker.counters().get(Counter.STREAMS_OPENED);
        final List<String> args = new ArrayList<>(List.of("-v", "--timeout=20"));
        for (int i = 0; i < STREAMS; i++)
        {
            // Distinct URIs: nghttp requests a URI only once.
            args.add("http://127.0.0.1:" + broker.httpPort() + "/events?topic=h2-nghttp&i=" + i);
        }
        try (ToolProcess client = ToolProcess.start(nghttp, args.toArray(new String[0])))
        {
            Await.until(() -> "the broker to open " + STREAMS + " streams, opened " +
                (broker.counters().get(Counter.STREAMS_OPENED) - opened) + "; nghttp: " + tail(client.stdout()),
                () -> broker.counters().get(Counter.STREAMS_OPENED) - opened == STREAMS, Duration.ofSeconds(10));
            // The broker counts a stream before it puts it on the topic, and flushes the preamble after: only a
            // stream whose preamble arrived is sure to receive what is published next.
            Await.until(() -> "every stream's preamble; " + shortStreams(bodies(client.stdoutBytes()), PREAMBLE) +
                    "; nghttp: " + tail(client.stdout()),
                () -> allComplete(bodies(client.stdoutBytes()), PREAMBLE.length()), Duration.ofSeconds(10));

            final long id = RawHttp.publish(broker.httpPort(), "h2-nghttp", "once");
            // A second event after it: once every stream has it, a duplicate of the first would have arrived.
            final long fence = RawHttp.publish(broker.httpPort(), "h2-nghttp", "fence");

            final String expected = PREAMBLE + "id: " + id + "\ndata: once\n\n" + "id: " + fence + "\ndata: fence\n\n";
            Await.until(() -> "every stream to receive both events; " + shortStreams(bodies(client.stdoutBytes()), expected) +
                    "; nghttp: " + tail(client.stdout()),
                () -> allComplete(bodies(client.stdoutBytes()), expected.length()), Duration.ofSeconds(10));

            final Map<Integer, String> bodies = bodies(client.stdoutBytes());
            assertEquals(STREAMS, bodies.size(), "streams with DATA: " + bodies.keySet());
            for (final Map.Entry<Integer, String> body : bodies.entrySet())
            {
                assertEquals(expected, body.getValue(), "body of stream " + body.getKey());
            }
        }
        assertEquals(connections + 1, broker.counters().get(Counter.HTTP2_CONNECTIONS), "nghttp used one connection");
    }

    private static boolean allComplete(final Map<Integer, String> bodies, final int length)
    {
        if (bodies.size() < STREAMS)
        {
            return false;
        }
        for (final String body : bodies.values())
        {
            if (body.length() < length)
            {
                return false;
            }
        }
        return true;
    }

    /** @return which streams lack part of the expected body, and what each has, for a failure message. */
    private static String shortStreams(final Map<Integer, String> bodies, final String expected)
    {
        final StringBuilder out = new StringBuilder().append(bodies.size()).append(" streams with DATA");
        bodies.forEach((streamId, body) ->
        {
            if (body.length() < expected.length())
            {
                out.append("; stream ").append(streamId).append(" has only ").append(body.replace("\n", "\\n"));
            }
        });
        return out.toString();
    }

    /**
     * @return the DATA payloads nghttp printed, concatenated per stream id: each frame's payload is
     *         the {@code length} bytes before its line.
     */
    private static Map<Integer, String> bodies(final byte[] output)
    {
        // ISO-8859-1 keeps one char per byte, so frame lengths index the text directly.
        final String text = new String(output, StandardCharsets.ISO_8859_1);
        final Map<Integer, StringBuilder> bodies = new TreeMap<>();
        final Matcher frame = DATA_FRAME.matcher(text);
        while (frame.find())
        {
            final int length = Integer.parseInt(frame.group(1));
            final int streamId = Integer.parseInt(frame.group(3));
            bodies.computeIfAbsent(streamId, k -> new StringBuilder())
                .append(text, frame.start() - length, frame.start());
        }
        final Map<Integer, String> result = new TreeMap<>();
        bodies.forEach((streamId, body) ->
            result.put(streamId, new String(body.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8)));
        return result;
    }

    private static String tail(final String output)
    {
        return output.length() <= 2000 ? output : "..." + output.substring(output.length() - 2000);
    }
}

package io.ssebroker.server.e2e;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.SseEvent;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A resume point the broker cannot honour exactly is announced in-band: right after the preamble
 * comes one {@code event: reset} chunk without an id, whose JSON names the reason, and then what
 * history retains, then live events.
 * <p>
 * The tests of this class run one after another on one broker; each publishes to its own topic and
 * reads the global head from its own last publish.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ResetTest
{
    private static final int HISTORY = 10;

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.with(config -> config.historyCount(HISTORY)).withPublisher("reset-test");

    @Test
    void shouldResetWithHistoryTruncatedThenSendRetainedEventsWhenResumingPastRetention() throws Exception
    {
        final List<Long> ids = publishMany("truncated", 3 * HISTORY);

        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=truncated", "Last-Event-ID: " + ids.get(0)))
        {
            assertEquals(resetChunk("history-truncated", ids.get(0).toString(), ids.get(2 * HISTORY), last(ids)),
                stream.nextChunkText());
            assertRetained(stream, ids, 2 * HISTORY);
            assertLive(stream, "truncated");
        }
    }

    @Test
    void shouldResetWithHistoryTruncatedWhenResumingPastRetentionWithQueryParameter() throws Exception
    {
        final List<Long> ids = publishMany("truncated-query", 2 * HISTORY);

        try (SseStream stream = SseStream.open(broker.httpPort(),
            "/events?topic=truncated-query&lastEventId=" + ids.get(HISTORY - 2)))
        {
            assertEquals(resetChunk("history-truncated", ids.get(HISTORY - 2).toString(), ids.get(HISTORY), last(ids)),
                stream.nextChunkText());
            assertRetained(stream, ids, HISTORY);
        }
    }

    @Test
    void shouldNotResetWhenResumingFromOldestRetainedEvent() throws Exception
    {
        final List<Long> ids = publishMany("edge", 2 * HISTORY);

        // Ids up to ids[HISTORY - 1] were trimmed; resuming after exactly that one loses nothing.
        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=edge", "Last-Event-ID: " + ids.get(HISTORY - 1)))
        {
            assertRetained(stream, ids, HISTORY);
            assertLive(stream, "edge");
        }
    }

    @Test
    void shouldResetWithUnknownEpochWhenIdPrecedesThisRun() throws Exception
    {
        final List<Long> ids = publishMany("epoch", 3);
        final String before = Long.toString(broker.epochId() - 2);

        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=epoch", "Last-Event-ID: " + before))
        {
            assertEquals(resetChunk("unknown-epoch", before, ids.get(0), last(ids)), stream.nextChunkText());
            assertRetained(stream, ids, 0);
            assertLive(stream, "epoch");
        }
    }

    @Test
    void shouldResetWithFutureIdWhenIdIsAheadOfHead() throws Exception
    {
        final List<Long> ids = publishMany("future", 3);
        final String ahead = Long.toString(last(ids) + 1000);

        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=future", "Last-Event-ID: " + ahead))
        {
            assertEquals(resetChunk("future-id", ahead, ids.get(0), last(ids)), stream.nextChunkText());
            assertRetained(stream, ids, 0);
            assertLive(stream, "future");
        }
    }

    @Test
    void shouldResetWithMalformedIdWhenIdIsNotDecimal() throws Exception
    {
        final List<Long> ids = publishMany("malformed", 3);

        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=malformed", "Last-Event-ID: 12ab"))
        {
            assertEquals(resetChunk("malformed-id", "12ab", ids.get(0), last(ids)), stream.nextChunkText());
            assertRetained(stream, ids, 0);
            assertLive(stream, "malformed");
        }
    }

    @Test
    void shouldEscapeMalformedIdInResetJson() throws Exception
    {
        final List<Long> ids = publishMany("escaped", 1);

        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=escaped", "Last-Event-ID: a\"b\\c"))
        {
            final String json = "{\"reason\":\"malformed-id\",\"lastEventId\":\"a\\\"b\\\\c\"," +
                "\"oldestRetainedId\":\"" + ids.get(0) + "\",\"headId\":\"" + last(ids) + "\"}";
            assertEquals(new SseEvent(null, "reset", json), stream.nextEvent());
        }
    }

    @Test
    void shouldReportNullOldestRetainedIdWhenTopicHasNoHistory() throws Exception
    {
        final long head = publishMany("elsewhere", 1).get(0);

        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=never-published", "Last-Event-ID: 7"))
        {
            assertEquals(SseStream.chunkOf("event: reset\ndata: {\"reason\":\"unknown-epoch\",\"lastEventId\":\"7\"," +
                "\"oldestRetainedId\":null,\"headId\":\"" + head + "\"}\n\n"), stream.nextChunkText());
            assertLive(stream, "never-published");
        }
    }

    @Test
    void shouldTreatEmptyLastEventIdAsFreshStart() throws Exception
    {
        publishMany("empty-id", 3);

        try (SseStream stream = SseStream.open(broker.httpPort(), "/events?topic=empty-id", "Last-Event-ID:"))
        {
            assertLive(stream, "empty-id");
        }
    }

    private static String resetChunk(final String reason, final String lastEventId, final long oldest, final long head)
    {
        return SseStream.chunkOf("event: reset\ndata: {\"reason\":\"" + reason + "\",\"lastEventId\":\"" + lastEventId +
            "\",\"oldestRetainedId\":\"" + oldest + "\",\"headId\":\"" + head + "\"}\n\n");
    }

    private static void assertRetained(final SseStream stream, final List<Long> ids, final int from) throws Exception
    {
        for (int i = from; i < ids.size(); i++)
        {
            assertEquals(SseStream.chunkOf("id: " + ids.get(i) + "\ndata: d" + i + "\n\n"), stream.nextChunkText(),
                "retained event #" + i);
        }
    }

    /**
     * Publishes one more event and asserts it is the very next chunk: nothing else was replayed.
     */
    private static void assertLive(final SseStream stream, final String topic) throws Exception
    {
        final long id = broker.publisher().publish(topic, null, "live".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
        assertEquals(SseStream.chunkOf("id: " + id + "\ndata: live\n\n"), stream.nextChunkText());
    }

    private static List<Long> publishMany(final String topic, final int count) throws Exception
    {
        final List<Long> ids = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            ids.add(broker.publisher().publish(topic, null, ("d" + i).getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS));
        }
        return ids;
    }

    private static long last(final List<Long> ids)
    {
        return ids.get(ids.size() - 1);
    }
}

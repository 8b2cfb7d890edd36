package io.ssebroker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The distribution's logging: JSON lines that parse, one record each, at the configured level; text lines in the
 * documented layout; and the broker's one start-up line naming ports, protocols, limits and the id epoch.
 */
class LogbackBackendTest
{
    private final PrintStream originalErr = System.err;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    @AfterEach
    void restore()
    {
        System.setErr(originalErr);
        new LogbackBackend().configure("text", "info");
    }

    @Test
    void shouldWriteOneJsonObjectPerRecordAtTheConfiguredLevel() throws IOException
    {
        capture();
        new LogbackBackend().configure("json", "info");
        final org.slf4j.Logger log = LoggerFactory.getLogger("io.ssebroker.test");
        log.info("hello {}", "world");
        log.debug("not at info");
        log.warn("with a cause", new IllegalStateException("boom"));

        final List<JsonNode> records = jsonLines();
        assertEquals(2, records.size(), captured.toString(StandardCharsets.UTF_8));
        assertEquals("INFO", records.get(0).get("level").asText());
        assertEquals("io.ssebroker.test", records.get(0).get("loggerName").asText());
        assertEquals("hello world", records.get(0).get("formattedMessage").asText());
        assertEquals("WARN", records.get(1).get("level").asText());
        assertTrue(records.get(1).get("throwable").toString().contains("boom"), records.get(1).toString());
    }

    @Test
    void shouldWriteTextLinesInTheDocumentedLayout()
    {
        capture();
        new LogbackBackend().configure("text", "warn");
        final org.slf4j.Logger log = LoggerFactory.getLogger("io.ssebroker.test");
        log.info("below the level");
        log.warn("shown");
        final String text = captured.toString(StandardCharsets.UTF_8);
        assertFalse(text.contains("below the level"), text);
        assertTrue(text.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  io\\.ssebroker\\.test: shown\\R"), text);
    }

    @Test
    void shouldLogOneStartLineWithPortsProtocolsLimitsAndEpoch() throws IOException, InterruptedException
    {
        capture();
        new LogbackBackend().configure("json", "info");
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0).historyCount(77)))
        {
            final List<JsonNode> started = new ArrayList<>();
            for (final JsonNode record : jsonLines())
            {
                if (record.get("formattedMessage").asText().contains(" started:"))
                {
                    started.add(record);
                }
            }
            assertEquals(1, started.size(), captured.toString(StandardCharsets.UTF_8));
            final String line = started.get(0).get("formattedMessage").asText();
            assertTrue(line.contains("http 127.0.0.1:" + broker.httpPort() + " (HTTP/1.1, h2c)"), line);
            assertTrue(line.contains("ingest 127.0.0.1:" + broker.ingestPort()), line);
            assertTrue(line.contains("tls off"), line);
            assertTrue(line.contains("history 77 events"), line);
            assertTrue(line.endsWith("id epoch " + broker.epochId()), line);
        }
    }

    private void capture()
    {
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    }

    private List<JsonNode> jsonLines() throws IOException
    {
        final ObjectMapper mapper = new ObjectMapper();
        final List<JsonNode> records = new ArrayList<>();
        for (final String line : captured.toString(StandardCharsets.UTF_8).split("\n"))
        {
            if (!line.isBlank())
            {
                records.add(mapper.readTree(line));
            }
        }
        return records;
    }
}

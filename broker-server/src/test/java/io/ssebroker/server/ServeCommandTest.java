package io.ssebroker.server;

import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.config.EffectiveConfig;
import io.ssebroker.server.config.Settings;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code serve}'s flags, generated from the settings: each parses into the setting of its name, list flags repeat,
 * boolean flags stand alone, and the flags scripts outside this repository use keep their names.
 */
class ServeCommandTest
{
    @Test
    void shouldParseFlagsIntoTheirSettings()
    {
        final ParseResult parsed = ServeCommand.newCommandLine().parseArgs(
            "--history-count", "5", "--demo", "--conflate-prefix", "a.", "--conflate-prefix", "b.,c.",
            "--tls-self-signed=false", "--h2-max-concurrent-streams=64", "--ingest-ring-bytes", "33554432");

        final BrokerConfig config = EffectiveConfig.resolve(null, Map.of(), ServeCommand.matchedSettings(parsed)).config();

        assertEquals(5, config.historyCount());
        assertTrue(config.demo());
        assertEquals(List.of("a.", "b.", "c."), config.conflatePrefixes());
        assertFalse(config.tlsSelfSigned());
        assertEquals(64, config.http2MaxConcurrentStreams());
        assertEquals(32 << 20, config.ingestRingBytes());
    }

    @Test
    void shouldHaveOneFlagPerSettingAndKeepTheInterfaceNames()
    {
        final CommandLine serve = ServeCommand.newCommandLine();
        for (final var setting : Settings.ALL)
        {
            assertNotNull(serve.getCommandSpec().findOption(setting.flag()), setting.flag());
        }
        // Used by scripts outside this repository (issues 7 and 10): these names do not change.
        for (final String flag : List.of("--tls-port", "--tls-cert", "--tls-key", "--tls-self-signed",
            "--http-port", "--ingest-port", "--host", "--config", "--print-config"))
        {
            assertNotNull(serve.getCommandSpec().findOption(flag), flag);
        }
    }
}

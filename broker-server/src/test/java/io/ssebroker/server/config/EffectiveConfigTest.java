package io.ssebroker.server.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resolution of the four configuration sources: precedence, the source recorded for each value, and start-up
 * stopped by any setting that is unknown, malformed or out of range, with a message naming it.
 */
class EffectiveConfigTest
{
    private static final Setting HISTORY_COUNT = Settings.named("history-count");

    @TempDir
    Path dir;

    @Test
    void shouldTakeDefaultsThenFileThenEnvironmentThenFlags() throws IOException
    {
        final Path file = write("history-count = 10\nretry-ms = 11\nheartbeat-ms = 12\nslow-grace-ms = 13\n");
        final Map<String, String> env = Map.of(
            "SSE_BROKER_RETRY_MS", "21", "SSE_BROKER_HEARTBEAT_MS", "22", "SSE_BROKER_SLOW_GRACE_MS", "23");
        final Map<Setting, Object> flags = Map.of(Settings.named("slow-grace-ms"), "33");

        final EffectiveConfig resolved = EffectiveConfig.resolve(file, env, flags);

        final BrokerConfig config = resolved.config();
        assertEquals(BrokerConfig.defaults().maxTopics(), config.maxTopics());
        assertEquals(10, config.historyCount());
        assertEquals(21, config.retryMs());
        assertEquals(22, config.heartbeatMs());
        assertEquals(33, config.slowGraceMs());
        assertEquals("default", resolved.source(Settings.named("max-topics")));
        assertEquals("file " + file, resolved.source(HISTORY_COUNT));
        assertEquals("env SSE_BROKER_RETRY_MS", resolved.source(Settings.named("retry-ms")));
        assertEquals("--slow-grace-ms", resolved.source(Settings.named("slow-grace-ms")));
    }

    @Test
    void shouldFindTheFileThroughTheEnvironmentWhenNoFlagNamesIt() throws IOException
    {
        final Path file = write("max-topics = 77\n");
        final EffectiveConfig resolved = EffectiveConfig.resolve(null, Map.of(EffectiveConfig.CONFIG_ENV, file.toString()), Map.of());
        assertEquals(77, resolved.config().maxTopics());
    }

    @Test
    void shouldParseListsBooleansChoicesAndNumbersWithSeparators() throws IOException
    {
        final Path file = write("conflate-prefix = ticker., fx.\ndemo = true\ntls-provider = jdk\nhistory-bytes = 8_388_608\n");
        final Map<Setting, Object> flags = Map.of(
            Settings.named("cors-origin"), List.of("https://a.example", "https://b.example,https://c.example"));

        final BrokerConfig config = EffectiveConfig.resolve(file, Map.of(), flags).config();

        assertEquals(List.of("ticker.", "fx."), config.conflatePrefixes());
        assertEquals(List.of("https://a.example", "https://b.example", "https://c.example"), config.corsOrigins());
        assertTrue(config.demo());
        assertEquals("jdk", config.tlsProvider());
        assertEquals(8_388_608L, config.historyBytes());
    }

    @Test
    void shouldNameTheSettingTheValueTheSourceAndTheRange()
    {
        final InvalidSettingException flag = assertThrows(InvalidSettingException.class,
            () -> EffectiveConfig.resolve(null, Map.of(), Map.of(HISTORY_COUNT, "0")));
        assertEquals("history-count = '0' (from --history-count) must be between 1 and 16777216", flag.getMessage());

        final InvalidSettingException env = assertThrows(InvalidSettingException.class,
            () -> EffectiveConfig.resolve(null, Map.of("SSE_BROKER_MAX_IN_FLIGHT", "3"), Map.of()));
        assertEquals("max-in-flight = '3' (from env SSE_BROKER_MAX_IN_FLIGHT) must be a power of two", env.getMessage());

        final InvalidSettingException choice = assertThrows(InvalidSettingException.class,
            () -> EffectiveConfig.resolve(null, Map.of(), Map.of(Settings.named("tls-provider"), "gnutls")));
        assertEquals("tls-provider = 'gnutls' (from --tls-provider) must be one of auto | openssl | jdk", choice.getMessage());

        final InvalidSettingException text = assertThrows(InvalidSettingException.class,
            () -> EffectiveConfig.resolve(null, Map.of(), Map.of(HISTORY_COUNT, "12k")));
        assertEquals("history-count = '12k' (from --history-count) must be a whole number (1..16777216)", text.getMessage());
    }

    @Test
    void shouldStopOnAnInvalidValueEvenWhenAHigherSourceReplacesIt() throws IOException
    {
        final Path file = write("history-count = -5\n");
        final InvalidSettingException ex = assertThrows(InvalidSettingException.class,
            () -> EffectiveConfig.resolve(file, Map.of(), Map.of(HISTORY_COUNT, "5")));
        assertTrue(ex.getMessage().startsWith("history-count = '-5' (from file " + file + ")"), ex.getMessage());
    }

    @Test
    void shouldRefuseUnknownSettingsInTheFileAndTheEnvironment() throws IOException
    {
        final Path file = write("histroy-count = 5\n");
        final InvalidSettingException inFile = assertThrows(InvalidSettingException.class,
            () -> EffectiveConfig.resolve(file, Map.of(), Map.of()));
        assertTrue(inFile.getMessage().contains("unknown setting 'histroy-count'"), inFile.getMessage());

        final InvalidSettingException inEnv = assertThrows(InvalidSettingException.class,
            () -> EffectiveConfig.resolve(null, Map.of("SSE_BROKER_HISTROY_COUNT", "5"), Map.of()));
        assertTrue(inEnv.getMessage().contains("SSE_BROKER_HISTROY_COUNT"), inEnv.getMessage());

        // Variables without the prefix are none of the broker's business.
        EffectiveConfig.resolve(null, Map.of("HISTORY_COUNT", "x", "PATH", "/bin"), Map.of());
    }

    @Test
    void shouldRefuseAMissingFile()
    {
        final Path missing = dir.resolve("missing.properties");
        final InvalidSettingException ex = assertThrows(InvalidSettingException.class,
            () -> EffectiveConfig.resolve(missing, Map.of(), Map.of()));
        assertEquals("configuration file " + missing + " does not exist", ex.getMessage());
    }

    @Test
    void shouldCheckRulesBetweenSettings()
    {
        final InvalidSettingException ex = assertThrows(InvalidSettingException.class,
            () -> EffectiveConfig.resolve(null, Map.of(), Map.of(Settings.named("tls-self-signed"), "true")));
        assertEquals("tls-cert, tls-key and tls-self-signed need tls-port", ex.getMessage());

        final Map<Setting, Object> tooLarge = new HashMap<>();
        tooLarge.put(Settings.named("ingest-ring-bytes"), "65536");
        tooLarge.put(Settings.named("max-data-bytes"), "8192");
        final InvalidSettingException data = assertThrows(InvalidSettingException.class,
            () -> EffectiveConfig.resolve(null, Map.of(), tooLarge));
        assertEquals("max-data-bytes must be between 16 and 4096, was 8192", data.getMessage());
    }

    @Test
    void shouldPrintEveryValueWithItsSourceAndHideSecrets()
    {
        final EffectiveConfig resolved = EffectiveConfig.resolve(null,
            Map.of("SSE_BROKER_INGEST_TOKEN", "do-not-print-me"), Map.of(HISTORY_COUNT, "42"));
        final String printed = resolved.describe();
        final List<String> lines = List.of(printed.split("\n"));
        assertEquals(Settings.ALL.size() + 1, lines.size(), printed);
        assertTrue(lines.contains(row(printed, "history-count", "42", "--history-count")), printed);
        assertTrue(lines.contains(row(printed, "ingest-token", "(set, hidden)", "env SSE_BROKER_INGEST_TOKEN")), printed);
        assertFalse(printed.contains("do-not-print-me"), printed);
    }

    @Test
    void shouldDeriveEveryNameFromTheOne()
    {
        assertEquals("history-count", HISTORY_COUNT.fileKey());
        assertEquals("SSE_BROKER_HISTORY_COUNT", HISTORY_COUNT.envVar());
        assertEquals("--history-count", HISTORY_COUNT.flag());
        for (final Setting setting : Settings.ALL)
        {
            assertEquals(setting.name(), setting.fileKey());
            assertEquals("--" + setting.name(), setting.flag());
            assertEquals("SSE_BROKER_" + setting.name().toUpperCase().replace('-', '_'), setting.envVar());
        }
    }

    /**
     * Every field of BrokerConfig but the allocator (which is for code, not operators) is reached by some setting:
     * changing the field changes what that setting reads.
     */
    @Test
    void shouldReachEveryBrokerConfigFieldThroughASetting() throws IllegalAccessException
    {
        final BrokerConfig defaults = BrokerConfig.defaults();
        final List<String> unreached = new ArrayList<>();
        for (final Field field : BrokerConfig.class.getDeclaredFields())
        {
            if (Modifier.isStatic(field.getModifiers()) || "allocator".equals(field.getName())
                || "ioHandlers".equals(field.getName()))
            {
                continue;
            }
            final BrokerConfig changed = BrokerConfig.defaults();
            field.setAccessible(true);
            field.set(changed, different(field.getType(), field.get(defaults)));
            boolean reached = false;
            for (final Setting setting : Settings.ALL)
            {
                reached |= !String.valueOf(setting.get(defaults)).equals(String.valueOf(setting.get(changed)));
            }
            if (!reached)
            {
                unreached.add(field.getName());
            }
        }
        assertEquals(List.of(), unreached, "fields no setting reaches");
    }

    private static Object different(final Class<?> type, final Object value)
    {
        if (int.class == type)
        {
            return (Integer)value + 1;
        }
        if (long.class == type)
        {
            return (Long)value + 1;
        }
        if (boolean.class == type)
        {
            return !(Boolean)value;
        }
        if (String.class == type)
        {
            return value + "-changed";
        }
        if (List.class == type)
        {
            return List.of("changed");
        }
        throw new AssertionError("a BrokerConfig field of a type this test does not know: " + type);
    }

    private static String row(final String printed, final String name, final String value, final String source)
    {
        for (final String line : printed.split("\n"))
        {
            final String[] columns = line.trim().split("\\s{3,}");
            if (3 == columns.length && name.equals(columns[0]) && value.equals(columns[1]) && source.equals(columns[2]))
            {
                return line;
            }
        }
        return "no row " + name + " | " + value + " | " + source;
    }

    private Path write(final String content) throws IOException
    {
        final Path file = dir.resolve("broker.properties");
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }
}

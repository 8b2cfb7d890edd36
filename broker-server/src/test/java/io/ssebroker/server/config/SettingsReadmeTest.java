package io.ssebroker.server.config;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's settings table is the one {@link Settings} implies: every setting, its default and its range.
 * When a setting changes, this test fails and prints the table to paste between the README's markers.
 */
class SettingsReadmeTest
{
    private static final String BEGIN = "<!-- settings table: generated from Settings.ALL, checked by SettingsReadmeTest -->\n";
    private static final String END = "<!-- end of settings table -->";

    @Test
    void shouldListEverySettingWithItsDefaultAndRange() throws IOException
    {
        final String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        final int begin = readme.indexOf(BEGIN);
        final int end = readme.indexOf(END);
        final String expected = table();
        assertTrue(begin >= 0 && end > begin, "README.md lacks the settings table markers; the table:\n" + BEGIN + expected + END);
        assertEquals(expected, readme.substring(begin + BEGIN.length(), end), "README.md's settings table is stale");
    }

    static String table()
    {
        final BrokerConfig defaults = BrokerConfig.defaults();
        final StringBuilder out = new StringBuilder();
        out.append("| setting | default | range | what |\n|---|---|---|---|\n");
        for (final Setting setting : Settings.ALL)
        {
            final Object value = setting.get(defaults);
            // The one default that depends on the machine.
            final String shown = "event-loops".equals(setting.name()) ? "cores" :
                null == value || setting.format(value).isEmpty() ? "none" : "`" + setting.format(value) + "`";
            out.append("| `").append(setting.name()).append("` | ").append(shown).append(" | ")
                .append(setting.range().replace("|", "\\|")).append(" | ").append(setting.description().replace("|", "\\|"))
                .append(" |\n");
        }
        return out.toString();
    }
}

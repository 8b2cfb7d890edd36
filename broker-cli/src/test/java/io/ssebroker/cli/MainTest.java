package io.ssebroker.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The entry point: its subcommands, {@code serve} as the default, and {@code --version} from the build.
 */
class MainTest
{
    @Test
    void shouldMountServePublishAndLoadgen()
    {
        assertEquals(java.util.Set.of("serve", "publish", "token", "loadgen"), Main.commandLine().getSubcommands().keySet());
    }

    @Test
    void shouldTreatBareOptionsAsServe()
    {
        assertArrayEquals(new String[] {"serve"}, Main.withDefaultSubcommand(new String[0]));
        assertArrayEquals(new String[] {"serve", "--demo"}, Main.withDefaultSubcommand(new String[] {"--demo"}));
        assertArrayEquals(new String[] {"--version"}, Main.withDefaultSubcommand(new String[] {"--version"}));
        assertArrayEquals(new String[] {"publish", "-t", "x"}, Main.withDefaultSubcommand(new String[] {"publish", "-t", "x"}));
    }

    @Test
    void shouldPrintTheBuildsVersionEverywhere()
    {
        // Maven passes the project version to the test JVM (broker-cli/pom.xml); the jar's answer must match it.
        final String expected = System.getProperty("expected.version");
        assertTrue(null != expected && !expected.isEmpty(), "expected.version not set by the build");
        for (final String[] args : new String[][] {{"--version"}, {"serve", "--version"}, {"publish", "--version"}, {"token", "--version"},
            {"loadgen", "--version"}})
        {
            final StringWriter out = new StringWriter();
            final CommandLine commandLine = Main.commandLine();
            commandLine.setOut(new PrintWriter(out));
            assertEquals(0, commandLine.execute(args));
            assertTrue(out.toString().startsWith("sse-broker " + expected + System.lineSeparator()), String.join(" ", args) + ": " + out);
        }
    }

    @Test
    void shouldListEveryServeOptionInHelp()
    {
        final StringWriter out = new StringWriter();
        final CommandLine commandLine = Main.commandLine();
        final CommandLine serve = commandLine.getSubcommands().get("serve");
        commandLine.setOut(new PrintWriter(out));
        serve.setOut(new PrintWriter(out));
        assertEquals(0, commandLine.execute("serve", "--help"));
        for (final CommandLine.Model.OptionSpec option : serve.getCommandSpec().options())
        {
            assertTrue(out.toString().contains(option.longestName()), option.longestName() + " missing from help");
        }
    }
}

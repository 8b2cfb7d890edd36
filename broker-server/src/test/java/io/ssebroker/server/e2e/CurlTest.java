package io.ssebroker.server.e2e;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.ssebroker.server.testing.BrokerExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * curl as a subscriber and as a publisher, where installed: what operators try first. Every curl run
 * is bounded by its own {@code --max-time}, so a missing byte ends the process instead of the build.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CurlTest
{
    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();

    @BeforeAll
    static void requireCurl()
    {
        assumeTrue(null != curl(), "curl is not installed");
    }

    @Test
    void shouldStreamEventPublishedWithCurlToCurl() throws Exception
    {
        final Process stream = new ProcessBuilder(curl(), "-sN", "--max-time", "20",
            "http://127.0.0.1:" + broker.httpPort() + "/events?topic=curl")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.getInputStream(), StandardCharsets.UTF_8)))
        {
            assertEquals("retry: 3000", lines.readLine());
            assertEquals(": ok", lines.readLine());
            assertEquals("", lines.readLine());

            final String id = runCurl("-s", "--max-time", "10",
                "--data-urlencode", "topic=curl",
                "--data-urlencode", "event=greeting",
                "--data-urlencode", "data=hello from curl\nsecond line",
                "http://127.0.0.1:" + broker.httpPort() + "/publish");
            assertTrue(id.matches("[0-9]+"), "curl publish answered '" + id + "'");

            final List<String> event = new ArrayList<>();
            for (String line = lines.readLine(); null != line && !line.isEmpty(); line = lines.readLine())
            {
                event.add(line);
            }
            assertEquals(List.of("id: " + id, "event: greeting", "data: hello from curl", "data: second line"), event);
        }
        finally
        {
            stream.destroy();
            stream.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldAnswerCurlPreflightForAnyOrigin() throws Exception
    {
        final String head = runCurl("-s", "--max-time", "10", "-o", "/dev/null", "-D", "-",
            "-X", "OPTIONS", "-H", "Origin: https://x.example",
            "http://127.0.0.1:" + broker.httpPort() + "/events?topic=curl");

        assertTrue(head.startsWith("HTTP/1.1 204 No Content\r\n"), head);
        assertTrue(head.toLowerCase(java.util.Locale.ROOT).contains("access-control-allow-origin: *\r\n"), head);
    }

    private static String runCurl(final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(curl());
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try
        {
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(15, TimeUnit.SECONDS), "curl did not exit");
            assertEquals(0, process.exitValue(), "curl exit status; output: " + output);
            return output;
        }
        finally
        {
            process.destroy();
        }
    }

    private static String curl()
    {
        for (final String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        {
            final File candidate = new File(dir, "curl");
            if (candidate.canExecute())
            {
                return candidate.getPath();
            }
        }
        return null;
    }
}

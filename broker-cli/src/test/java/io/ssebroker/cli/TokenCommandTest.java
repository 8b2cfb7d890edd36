package io.ssebroker.cli;

import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.RawHttp;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sse-broker token} against a broker started with the same {@code jwt-secret-file}: what the README's JWT
 * walk-through does. A token it prints is served; the same request without it is refused; a topic outside the
 * token is 403.
 */
class TokenCommandTest
{
    private static final Path SECRET = secretFile();

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.with(config -> config.jwtSecretFile(SECRET.toString()));

    @Test
    void shouldMintATokenTheBrokerServes() throws IOException
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = new CommandLine(new TokenCommand(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8)))
            .execute("--secret-file", SECRET.toString(), "--sub", "alice", "--subscribe", "ticker.*", "--subscribe", "user.{sub}");
        assertEquals(0, exit, err.toString(StandardCharsets.UTF_8));
        final String token = out.toString(StandardCharsets.UTF_8).trim();
        assertEquals(3, token.split("\\.").length, token);

        assertEquals(401, RawHttp.get(BROKER.httpPort(), "/events?topic=ticker.AAPL").status());
        try (SseStream served = SseStream.open(BROKER.httpPort(), "/events?topic=ticker.AAPL&topic=user.alice",
            "Authorization: Bearer " + token))
        {
            assertTrue(served.preamble().contains("retry:"), served.preamble());
        }
        assertEquals(403, RawHttp.get(BROKER.httpPort(), "/events?topic=user.bob", "Authorization: Bearer " + token).status());
    }

    @Test
    void shouldRefuseASecretTooShortForHs256() throws IOException
    {
        final Path shortSecret = Files.createTempFile("short", ".secret");
        Files.writeString(shortSecret, "short\n");
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = new CommandLine(new TokenCommand(new PrintStream(new ByteArrayOutputStream()),
            new PrintStream(err, true, StandardCharsets.UTF_8))).execute("--secret-file", shortSecret.toString());
        assertEquals(2, exit);
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("token: "), err.toString(StandardCharsets.UTF_8));
        Files.delete(shortSecret);
    }

    private static Path secretFile()
    {
        try
        {
            final Path file = Files.createTempFile("jwt", ".secret");
            file.toFile().deleteOnExit();
            Files.writeString(file, "a-test-secret-of-more-than-thirty-two-bytes\n");
            return file;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}

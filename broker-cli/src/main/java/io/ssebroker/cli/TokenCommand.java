package io.ssebroker.cli;

import io.ssebroker.server.BuildVersion;
import io.ssebroker.server.auth.TokenMinter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code token}: prints an HS256 JWT signed with a {@code jwt-secret-file} secret, with an {@code sse} claim the
 * broker checks. For development and scripts; production tokens come from the application's identity service.
 */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    versionProvider = BuildVersion.class,
    sortOptions = false,
    description = "Print an HS256 JWT for a broker started with --jwt-secret-file (development and scripts).")
final class TokenCommand implements Callable<Integer>
{
    @Option(names = "--secret-file", required = true, paramLabel = "FILE", description = "The broker's jwt-secret-file.")
    Path secretFile;

    @Option(names = "--sub", description = "The sub claim (fills {sub} in topic entries).")
    String subject;

    @Option(names = "--subscribe", paramLabel = "TOPIC", description = "Topic or prefix* the token may subscribe to (repeatable).")
    List<String> subscribe = new ArrayList<>();

    @Option(names = "--publish", paramLabel = "TOPIC", description = "Topic or prefix* the token may publish to (repeatable).")
    List<String> publish = new ArrayList<>();

    @Option(names = "--ttl-seconds", description = "Seconds until the token expires (default ${DEFAULT-VALUE}).")
    long ttlSeconds = 3600;

    private final PrintStream out;
    private final PrintStream err;

    TokenCommand()
    {
        this(System.out, System.err);
    }

    TokenCommand(final PrintStream out, final PrintStream err)
    {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call()
    {
        try
        {
            out.println(TokenMinter.fromSecretFile(secretFile).mint(subject, subscribe, publish, ttlSeconds));
            return 0;
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("token: " + ex.getMessage());
            return 2;
        }
    }
}

package io.ssebroker.cli;

import io.ssebroker.loadgen.LoadgenCommand;
import io.ssebroker.server.BuildVersion;
import io.ssebroker.server.ServeCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code sse-broker [serve|publish|token|loadgen] ...}: the one entry point; {@code serve} is the default, so
 * {@code sse-broker --demo} starts a broker.
 */
@Command(
    name = "sse-broker",
    mixinStandardHelpOptions = true,
    versionProvider = BuildVersion.class,
    description = "High-throughput Server-Sent Events fan-out broker.",
    footer = {"", "Without a command, serve. 'sse-broker COMMAND --help' lists a command's options."})
public final class Main implements Runnable
{
    private Main()
    {
    }

    /**
     * @param args a subcommand and its options, or serve's options alone.
     */
    public static void main(final String[] args)
    {
        ServeCommand.applyProcessDefaults();
        System.exit(execute(args));
    }

    /**
     * Parses and runs one command line, without exiting.
     *
     * @param args as given to {@link #main}.
     * @return the exit code.
     */
    static int execute(final String... args)
    {
        return commandLine().execute(withDefaultSubcommand(args));
    }

    /**
     * @return the command line with every subcommand mounted.
     */
    static CommandLine commandLine()
    {
        final CommandLine commandLine = new CommandLine(new Main())
            .addSubcommand(ServeCommand.newCommandLine())
            .addSubcommand(new PublishCommand())
            .addSubcommand(new TokenCommand())
            .addSubcommand(new LoadgenCommand());
        // The load generator's module does not know the build's version; every subcommand answers --version alike.
        commandLine.getSubcommands().get("loadgen").getCommandSpec().versionProvider(new BuildVersion());
        return commandLine;
    }

    @Override
    public void run()
    {
        commandLine().usage(System.out);
    }

    /**
     * No arguments, or options that are not the top level's own, mean {@code serve}.
     */
    static String[] withDefaultSubcommand(final String[] args)
    {
        return 0 == args.length || args[0].startsWith("-") && !isTopLevelOption(args[0]) ? prepend("serve", args) : args;
    }

    private static boolean isTopLevelOption(final String arg)
    {
        return "-h".equals(arg) || "--help".equals(arg) || "-V".equals(arg) || "--version".equals(arg);
    }

    private static String[] prepend(final String first, final String[] rest)
    {
        final String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}

package io.ssebroker.server;

import io.ssebroker.loadgen.LoadgenCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar sse-broker.jar [serve|loadgen] ...}; {@code serve} is the default.
 */
@Command(
    name = "sse-broker",
    mixinStandardHelpOptions = true,
    version = "sse-broker 0.1.0",
    description = "High-throughput Server-Sent Events fan-out broker.",
    subcommands = {ServeCommand.class, LoadgenCommand.class})
public final class Main implements Runnable
{
    private Main()
    {
    }

    public static void main(final String[] args)
    {
        if (null == System.getProperty("java.util.logging.SimpleFormatter.format"))
        {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
        }
        if (null == System.getProperty("io.netty.leakDetection.level"))
        {
            // Netty samples 1 in 128 allocations with a stack trace by default; at a million frames a
            // second that is thousands of stack traces a second. The test suite runs at paranoid;
            // operators can turn it back on with -Dio.netty.leakDetection.level=simple.
            io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
        }
        final String[] effective = 0 == args.length || args[0].startsWith("-") && !isTopLevelOption(args[0]) ?
            prepend("serve", args) : args;
        System.exit(new CommandLine(new Main()).execute(effective));
    }

    @Override
    public void run()
    {
        new CommandLine(this).usage(System.out);
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

package io.ssebroker.loadgen;

import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Command line entry of the load generator: opens subscriber streams, publishes at a fixed rate and
 * reports latency and delivery.
 * <p>
 * <b>Threading:</b> {@link #call()} runs on the thread picocli calls it on and returns when the run is over.
 */
@Command(
    name = "loadgen",
    mixinStandardHelpOptions = true,
    description = "Opens SSE subscribers, publishes at a fixed rate and reports latency and delivery.")
public final class LoadgenCommand implements Callable<Integer>
{
    /**
     * Runs the command stand-alone, as child processes do.
     *
     * @param args command line arguments.
     */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new LoadgenCommand()).execute(args));
    }

    /**
     * {@inheritDoc}
     */
    public Integer call()
    {
        return 0;
    }
}

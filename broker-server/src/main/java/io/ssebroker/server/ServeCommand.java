package io.ssebroker.server;

import io.ssebroker.server.auth.TokenMinter;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.config.EffectiveConfig;
import io.ssebroker.server.config.InvalidSettingException;
import io.ssebroker.server.config.Setting;
import io.ssebroker.server.config.Settings;
import io.ssebroker.server.demo.DemoFeed;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code serve}: runs a broker until SIGTERM or SIGINT, then shuts down gracefully. The {@code sse-broker}
 * command line (module broker-cli) mounts it as its default subcommand; {@link #main} runs it alone, with the
 * server module's class path only.
 * <p>
 * Its options are generated from {@link Settings}: one flag per setting, named after it, so that a setting's
 * flag, file key and environment variable cannot drift apart. {@link EffectiveConfig} resolves them.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    versionProvider = BuildVersion.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    customSynopsis = "sse-broker [serve] [OPTION]...",
    description = "Run the broker.",
    footer = {
        "",
        "Every setting can also come from a configuration file (--config FILE, or $" + EffectiveConfig.CONFIG_ENV +
            "; Java properties, one 'name = value' per line, the name without its leading --) or from an " +
            "environment variable (SSE_BROKER_ and the name in upper case, - as _, e.g. SSE_BROKER_HISTORY_COUNT).",
        "Precedence, lowest first: defaults < file < environment < flags. --print-config shows the result."})
public final class ServeCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
        description = "Configuration file (Java properties format); default: the file named by $" +
            EffectiveConfig.CONFIG_ENV + ", if set.")
    Path configFile;

    @Option(names = "--print-config",
        description = "Print the effective configuration and where each value came from, then exit.")
    boolean printConfig;

    /**
     * @return a command line for {@code serve}, with one option per setting.
     */
    public static CommandLine newCommandLine()
    {
        final CommandLine commandLine = new CommandLine(new ServeCommand());
        final BrokerConfig defaults = BrokerConfig.defaults();
        for (final Setting setting : Settings.ALL)
        {
            commandLine.getCommandSpec().addOption(option(setting, defaults));
        }
        return commandLine;
    }

    private static OptionSpec option(final Setting setting, final BrokerConfig defaults)
    {
        final Object defaultValue = setting.get(defaults);
        final String shownDefault = null == defaultValue || "".equals(setting.format(defaultValue)) ?
            "none" : setting.format(defaultValue);
        final OptionSpec.Builder builder = OptionSpec.builder(setting.flag())
            .description(setting.description() + " (default " + shownDefault + "; " + setting.range() + ").");
        switch (setting.kind())
        {
            case LIST:
                return builder.type(List.class).auxiliaryTypes(String.class).paramLabel("VALUE").build();
            case BOOLEAN:
                // --demo alone means true; --demo=false is allowed, as in the file and the environment.
                return builder.type(String.class).arity("0..1").fallbackValue("true").paramLabel("true|false").build();
            case NUMBER:
                return builder.type(String.class).paramLabel("N").build();
            case CHOICE:
                return builder.type(String.class).paramLabel(String.join("|", setting.choices())).build();
            default:
                return builder.type(String.class).paramLabel("VALUE").build();
        }
    }

    /**
     * Runs {@code serve} alone.
     *
     * @param args serve options.
     */
    public static void main(final String[] args)
    {
        applyProcessDefaults();
        System.exit(newCommandLine().execute(args));
    }

    /**
     * Process-wide settings a broker process starts with, unless the operator set them: the one-line log
     * format, and Netty's leak detection off.
     */
    public static void applyProcessDefaults()
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
    }

    @Override
    public Integer call() throws Exception
    {
        final EffectiveConfig effective;
        try
        {
            effective = EffectiveConfig.resolve(configFile, System.getenv(), matchedSettings(spec.commandLine().getParseResult()));
        }
        catch (final InvalidSettingException ex)
        {
            System.err.println("invalid configuration: " + ex.getMessage());
            return 2;
        }
        if (printConfig)
        {
            System.out.print(effective.describe());
            return 0;
        }
        final BrokerConfig config = effective.config();
        final String host = config.host();
        configureLogging(config);

        final Broker broker;
        try
        {
            broker = Broker.start(config);
        }
        catch (final IllegalArgumentException ex)
        {
            // A certificate or key that cannot be used: the message names the flag.
            System.err.println("invalid configuration: " + ex.getMessage());
            return 2;
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        final boolean demo = config.demo();
        DemoFeed demoFeed = null;
        if (demo)
        {
            try
            {
                demoFeed = DemoFeed.start(host, broker.ingestPort(), demoToken(config), config.demoIntervalMs());
            }
            catch (final RuntimeException ex)
            {
                System.err.println("warning: the demo feed could not start: " + ex.getMessage());
            }
        }
        final DemoFeed feed = demoFeed;
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            if (null != feed)
            {
                feed.close();
            }
            broker.close();
            // stdout, not the logger: the logging framework may already have shut down its handlers.
            System.out.println("broker stopped: " + broker.countersLine());
            stopped.countDown();
        }, "shutdown"));

        broker.onFatal(reason ->
        {
            System.err.println("error: " + reason + "; exiting (status 3)");
            // Off this thread: exit runs the shutdown hook, which closes the broker gracefully.
            final Thread exit = new Thread(() -> System.exit(3), "fatal-exit");
            exit.start();
        });
        final String base = "http://" + host + ":" + broker.httpPort();
        System.out.println();
        System.out.println("SSE broker running. HTTP " + base + "  ingest tcp://" + host + ":" + broker.ingestPort());
        if (demo)
        {
            System.out.println("Demo feed: topics " + String.join(", ", DemoFeed.TOPICS) + " (event: quote)");
            System.out.println();
            System.out.println("  in a browser:     " + base + "/   (live tickers)   " + base + "/dashboard");
            System.out.println("  watch a ticker:   curl -N '" + base + "/events?topic=ticker.AAPL'");
            System.out.println("  several at once:  curl -N '" + base + "/events?topic=ticker.AAPL&topic=ticker.MSFT'");
        }
        else
        {
            System.out.println();
            System.out.println("  dashboard:        " + base + "/dashboard");
            System.out.println("  subscribe:        curl -N '" + base + "/events?topic=news'");
        }
        System.out.println("  publish:          curl -d topic=news -d 'data=hello' " + base + "/publish");
        System.out.println("  resume after id:  curl -N -H 'Last-Event-ID: <id>' '" + base + "/events?topic=news'");
        if (broker.tlsPort() >= 0)
        {
            System.out.println("  over TLS (h2):    curl -N" + (config.tlsSelfSigned() ? "k" : "") + " 'https://" + host + ":" +
                broker.tlsPort() + "/events?topic=news'");
        }
        System.out.println("Stop with Ctrl-C (SIGTERM/SIGINT shut down gracefully).");
        System.out.println();
        stopped.await();
        return 0;
    }

    /**
     * The demo feed's HELLO token: the static ingest token, or with JWT on a token signed with the secret file
     * allowing the demo's topics (with only a public key the broker cannot sign one: the feed is refused, and the
     * broker says so).
     */
    private static String demoToken(final BrokerConfig config)
    {
        if (null != config.ingestToken())
        {
            return config.ingestToken();
        }
        if (null != config.jwtSecretFile())
        {
            return TokenMinter.fromSecretFile(Path.of(config.jwtSecretFile()))
                .mint("demo-feed", List.of(), List.of("ticker.*"), 365L * 24 * 3600);
        }
        if (null != config.jwtPublicKeyFile())
        {
            System.err.println("warning: --demo with only --jwt-public-key-file: the broker cannot sign a token for its " +
                "demo feed; give --ingest-token (or --jwt-secret-file) too");
        }
        return null;
    }

    private static void configureLogging(final BrokerConfig config)
    {
        final Optional<LogBackend> backend = ServiceLoader.load(LogBackend.class).findFirst();
        if (backend.isPresent())
        {
            backend.get().configure(config.logFormat(), config.logLevel());
        }
        else if (!"text".equals(config.logFormat()) || !"info".equals(config.logLevel()))
        {
            System.err.println("warning: no logging backend on the class path: log-format and log-level have no effect");
        }
    }

    /**
     * @param parsed the parsed command line of {@code serve}.
     * @return the settings given as flags, with their raw values.
     */
    static Map<Setting, Object> matchedSettings(final ParseResult parsed)
    {
        final Map<Setting, Object> flags = new LinkedHashMap<>();
        for (final Setting setting : Settings.ALL)
        {
            final OptionSpec option = parsed.matchedOption(setting.flag());
            if (null != option)
            {
                flags.put(setting, option.getValue());
            }
        }
        return flags;
    }
}

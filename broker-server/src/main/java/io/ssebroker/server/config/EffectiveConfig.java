package io.ssebroker.server.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;

/**
 * The configuration a broker runs with, resolved from four sources, lowest precedence first: defaults, a
 * configuration file, environment variables, command-line flags. Remembers where each value came from, for
 * {@code --print-config}.
 * <p>
 * <b>The file</b> is in the Java properties format, UTF-8: one {@code name = value} per line, {@code #} starts a
 * comment line, names are the settings' names ({@link Setting#fileKey()}). A name that is no setting stops
 * start-up, so a misspelt setting is never silently ignored; so does an environment variable that starts with
 * {@value Setting#ENV_PREFIX} and names no setting ({@value #CONFIG_ENV} names the file itself).
 * <p>
 * Every value is checked where it is read, so the error names its source: a bad value stops start-up even when
 * a source of higher precedence would have replaced it.
 * <p>
 * <b>Threading:</b> build on one thread, then read-only.
 */
public final class EffectiveConfig
{
    /** Environment variable naming the configuration file when {@code --config} is not given. */
    public static final String CONFIG_ENV = Setting.ENV_PREFIX + "CONFIG";

    private static final String DEFAULT = "default";

    private final BrokerConfig config;
    private final Map<Setting, String> sources = new IdentityHashMap<>();

    private EffectiveConfig(final BrokerConfig config)
    {
        this.config = config;
    }

    /**
     * Resolves the configuration.
     *
     * @param configFile the file given with {@code --config}, or null to look at {@value #CONFIG_ENV}.
     * @param env        the environment ({@link System#getenv()}).
     * @param flags      values given on the command line: a {@link String}, or for list settings a
     *                   {@code List<String>} of every occurrence.
     * @return the resolved, validated configuration.
     * @throws InvalidSettingException naming the setting, its value, its source and what is allowed.
     */
    public static EffectiveConfig resolve(final Path configFile, final Map<String, String> env, final Map<Setting, Object> flags)
    {
        final EffectiveConfig resolved = new EffectiveConfig(BrokerConfig.defaults());
        for (final Setting setting : Settings.ALL)
        {
            resolved.sources.put(setting, DEFAULT);
        }

        final Path file = null != configFile ? configFile : null == env.get(CONFIG_ENV) ? null : Path.of(env.get(CONFIG_ENV));
        if (null != file)
        {
            resolved.applyFile(file);
        }
        resolved.applyEnv(env);
        for (final Map.Entry<Setting, Object> flag : flags.entrySet())
        {
            final Setting setting = flag.getKey();
            final Object raw = flag.getValue();
            final String source = setting.flag();
            if (raw instanceof List)
            {
                @SuppressWarnings("unchecked")
                final List<String> texts = (List<String>)raw;
                resolved.apply(setting, String.join(",", texts), setting.parseList(texts), source);
            }
            else
            {
                resolved.apply(setting, String.valueOf(raw), source);
            }
        }
        try
        {
            resolved.config.validate();
        }
        catch (final IllegalArgumentException ex)
        {
            throw new InvalidSettingException(ex.getMessage());
        }
        return resolved;
    }

    /**
     * @return the resolved broker configuration.
     */
    public BrokerConfig config()
    {
        return config;
    }

    /**
     * @param setting one of {@link Settings#ALL}.
     * @return {@code default}, {@code file NAME}, {@code env VAR} or {@code --flag}.
     */
    public String source(final Setting setting)
    {
        return sources.get(setting);
    }

    /**
     * @return every setting's value and source, one per line, for {@code --print-config}.
     */
    public String describe()
    {
        int nameWidth = 0;
        int valueWidth = 0;
        for (final Setting setting : Settings.ALL)
        {
            nameWidth = Math.max(nameWidth, setting.name().length());
            valueWidth = Math.max(valueWidth, shown(setting).length());
        }
        final StringBuilder out = new StringBuilder();
        out.append(String.format("%-" + nameWidth + "s   %-" + valueWidth + "s   %s%n", "# setting", "value", "source"));
        for (final Setting setting : Settings.ALL)
        {
            out.append(String.format("%-" + nameWidth + "s   %-" + valueWidth + "s   %s%n",
                setting.name(), shown(setting), sources.get(setting)));
        }
        return out.toString();
    }

    private String shown(final Setting setting)
    {
        final Object value = setting.get(config);
        final String shown = null == value ? "" : setting.format(value);
        return shown.isEmpty() ? "(none)" : shown;
    }

    private void applyFile(final Path file)
    {
        final Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            properties.load(reader);
        }
        catch (final NoSuchFileException ex)
        {
            throw new InvalidSettingException("configuration file " + file + " does not exist");
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            throw new InvalidSettingException("configuration file " + file + " cannot be read: " + ex.getMessage());
        }
        final String source = "file " + file;
        for (final String key : new TreeSet<>(properties.stringPropertyNames()))
        {
            final Setting setting = Settings.named(key);
            if (null == setting)
            {
                throw new InvalidSettingException("unknown setting '" + key + "' in " + file +
                    " (serve --help lists the settings)");
            }
            apply(setting, properties.getProperty(key), source);
        }
    }

    private void applyEnv(final Map<String, String> env)
    {
        for (final String name : new TreeSet<>(env.keySet()))
        {
            if (name.startsWith(Setting.ENV_PREFIX) && !CONFIG_ENV.equals(name) && null == settingForEnv(name))
            {
                throw new InvalidSettingException("unknown setting in environment variable " + name +
                    " (serve --help lists the settings)");
            }
        }
        for (final Setting setting : Settings.ALL)
        {
            final String text = env.get(setting.envVar());
            if (null != text)
            {
                apply(setting, text, "env " + setting.envVar());
            }
        }
    }

    private static Setting settingForEnv(final String envVar)
    {
        for (final Setting setting : Settings.ALL)
        {
            if (setting.envVar().equals(envVar))
            {
                return setting;
            }
        }
        return null;
    }

    private void apply(final Setting setting, final String text, final String source)
    {
        final Object value;
        try
        {
            value = setting.parse(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw invalid(setting, text, source, ex.getMessage());
        }
        apply(setting, text, value, source);
    }

    private void apply(final Setting setting, final String text, final Object value, final String source)
    {
        if (null != value)
        {
            try
            {
                setting.check(value);
            }
            catch (final IllegalArgumentException ex)
            {
                throw invalid(setting, text, source, ex.getMessage());
            }
        }
        setting.set(config, value);
        sources.put(setting, source);
    }

    private static InvalidSettingException invalid(
        final Setting setting, final String text, final String source, final String reason)
    {
        final String shown = setting.secret() ? "(hidden)" : "'" + text + "'";
        return new InvalidSettingException(setting.name() + " = " + shown + " (from " + source + ") " + reason);
    }
}

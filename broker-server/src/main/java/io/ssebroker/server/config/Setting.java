package io.ssebroker.server.config;


import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * One broker setting: its name, from which the file key, the environment variable and the command-line flag are
 * derived, its kind and allowed range, and how it is read from and written to a {@link BrokerConfig}.
 * <p>
 * Derived names, for the setting {@code history-count}:
 * <ul>
 *   <li>file key {@code history-count};</li>
 *   <li>environment variable {@code SSE_BROKER_HISTORY_COUNT};</li>
 *   <li>flag {@code --history-count}.</li>
 * </ul>
 * Values are text in every source: integers in decimal (an {@code _} between digits is allowed), booleans
 * {@code true} or {@code false}, lists comma-separated (a list flag may also be repeated).
 * <p>
 * <b>Threading:</b> immutable.
 */
public final class Setting
{
    /** Prefix of every setting's environment variable. */
    public static final String ENV_PREFIX = "SSE_BROKER_";

    /**
     * What values a setting takes.
     */
    public enum Kind
    {
        /** A whole number in {@link #min()}..{@link #max()}. */
        NUMBER,
        /** Free text; null when unset. */
        TEXT,
        /** One of {@link #choices()}. */
        CHOICE,
        /** {@code true} or {@code false}. */
        BOOLEAN,
        /** Comma-separated text values. */
        LIST
    }

    private final String name;
    private final String description;
    private final Kind kind;
    private final long min;
    private final long max;
    private final boolean powerOfTwo;
    private final boolean secret;
    private final List<String> choices;
    private final Function<BrokerConfig, Object> getter;
    private final BiConsumer<BrokerConfig, Object> setter;

    private Setting(
        final String name,
        final String description,
        final Kind kind,
        final long min,
        final long max,
        final boolean powerOfTwo,
        final boolean secret,
        final List<String> choices,
        final Function<BrokerConfig, Object> getter,
        final BiConsumer<BrokerConfig, Object> setter)
    {
        if (!name.matches("[a-z][a-z0-9]*(-[a-z0-9]+)*"))
        {
            throw new IllegalArgumentException("setting names are lower-case words joined by '-': " + name);
        }
        this.name = name;
        this.description = description;
        this.kind = kind;
        this.min = min;
        this.max = max;
        this.powerOfTwo = powerOfTwo;
        this.secret = secret;
        this.choices = choices;
        this.getter = getter;
        this.setter = setter;
    }

    static Setting number(
        final String name, final String description, final long min, final long max,
        final Function<BrokerConfig, Number> getter, final BiConsumer<BrokerConfig, Long> setter)
    {
        return new Setting(name, description, Kind.NUMBER, min, max, false, false, List.of(),
            getter::apply, (config, value) -> setter.accept(config, (Long)value));
    }

    static Setting powerOfTwo(
        final String name, final String description, final long min, final long max,
        final Function<BrokerConfig, Number> getter, final BiConsumer<BrokerConfig, Long> setter)
    {
        return new Setting(name, description, Kind.NUMBER, min, max, true, false, List.of(),
            getter::apply, (config, value) -> setter.accept(config, (Long)value));
    }

    static Setting text(
        final String name, final String description, final boolean secret,
        final Function<BrokerConfig, String> getter, final BiConsumer<BrokerConfig, String> setter)
    {
        return new Setting(name, description, Kind.TEXT, 0, 0, false, secret, List.of(),
            getter::apply, (config, value) -> setter.accept(config, (String)value));
    }

    static Setting choice(
        final String name, final String description, final List<String> choices,
        final Function<BrokerConfig, String> getter, final BiConsumer<BrokerConfig, String> setter)
    {
        return new Setting(name, description, Kind.CHOICE, 0, 0, false, false, List.copyOf(choices),
            getter::apply, (config, value) -> setter.accept(config, (String)value));
    }

    static Setting bool(
        final String name, final String description,
        final Function<BrokerConfig, Boolean> getter, final BiConsumer<BrokerConfig, Boolean> setter)
    {
        return new Setting(name, description, Kind.BOOLEAN, 0, 0, false, false, List.of(),
            getter::apply, (config, value) -> setter.accept(config, (Boolean)value));
    }

    @SuppressWarnings("unchecked")
    static Setting list(
        final String name, final String description,
        final Function<BrokerConfig, List<String>> getter, final BiConsumer<BrokerConfig, List<String>> setter)
    {
        return new Setting(name, description, Kind.LIST, 0, 0, false, false, List.of(),
            getter::apply, (config, value) -> setter.accept(config, (List<String>)value));
    }

    /**
     * @return the setting's one name, for example {@code history-count}.
     */
    public String name()
    {
        return name;
    }

    /**
     * @return the key in a configuration file: the name itself.
     */
    public String fileKey()
    {
        return name;
    }

    /**
     * @return the environment variable: {@value #ENV_PREFIX} and the name in upper case, {@code -} as {@code _}.
     */
    public String envVar()
    {
        return ENV_PREFIX + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /**
     * @return the command-line flag: {@code --} and the name.
     */
    public String flag()
    {
        return "--" + name;
    }

    public String description()
    {
        return description;
    }

    public Kind kind()
    {
        return kind;
    }

    public long min()
    {
        return min;
    }

    public long max()
    {
        return max;
    }

    public List<String> choices()
    {
        return choices;
    }

    /**
     * @return true when the value is a credential, never printed.
     */
    public boolean secret()
    {
        return secret;
    }

    /**
     * @return the allowed values in words, for help, errors and the README table.
     */
    public String range()
    {
        switch (kind)
        {
            case NUMBER:
                return min + ".." + max + (powerOfTwo ? ", a power of two" : "");
            case CHOICE:
                return String.join(" | ", choices);
            case BOOLEAN:
                return "true | false";
            case LIST:
                return "comma-separated";
            default:
                return "text";
        }
    }

    /**
     * Parses a value as any source gives it.
     *
     * @param text the value's text.
     * @return the value: a {@link Long}, {@link String}, {@link Boolean} or {@code List<String>}.
     * @throws IllegalArgumentException with a message saying what was expected.
     */
    public Object parse(final String text)
    {
        final String trimmed = text.trim();
        switch (kind)
        {
            case NUMBER:
                return parseNumber(trimmed);
            case CHOICE:
                if (!choices.contains(trimmed))
                {
                    throw new IllegalArgumentException("must be one of " + range());
                }
                return trimmed;
            case BOOLEAN:
                if ("true".equalsIgnoreCase(trimmed))
                {
                    return Boolean.TRUE;
                }
                if ("false".equalsIgnoreCase(trimmed))
                {
                    return Boolean.FALSE;
                }
                throw new IllegalArgumentException("must be true or false");
            case LIST:
                return parseList(List.of(trimmed));
            default:
                return trimmed.isEmpty() ? null : trimmed;
        }
    }

    /**
     * Parses a list flag given several times; each value may itself be comma-separated.
     *
     * @param texts the values in the order given.
     * @return the list.
     */
    public List<String> parseList(final List<String> texts)
    {
        final List<String> values = new ArrayList<>();
        for (final String text : texts)
        {
            for (final String part : text.split(",", -1))
            {
                final String value = part.trim();
                if (!value.isEmpty())
                {
                    values.add(value);
                }
            }
        }
        return Collections.unmodifiableList(values);
    }

    /**
     * @param value a parsed value.
     * @throws IllegalArgumentException when it is outside the range.
     */
    public void check(final Object value)
    {
        if (Kind.NUMBER == kind)
        {
            final long number = ((Number)value).longValue();
            if (number < min || number > max)
            {
                throw new IllegalArgumentException("must be between " + min + " and " + max);
            }
            if (powerOfTwo && 1 != Long.bitCount(number))
            {
                throw new IllegalArgumentException("must be a power of two");
            }
        }
    }

    /**
     * @param config a configuration.
     * @return this setting's value in it.
     */
    public Object get(final BrokerConfig config)
    {
        return getter.apply(config);
    }

    /**
     * @param config a configuration.
     * @param value  a parsed, checked value.
     */
    public void set(final BrokerConfig config, final Object value)
    {
        setter.accept(config, value);
    }

    /**
     * @param value a value of this setting.
     * @return it as text a source would give (secrets masked).
     */
    public String format(final Object value)
    {
        if (null == value)
        {
            return "";
        }
        if (secret)
        {
            return "(set, hidden)";
        }
        if (value instanceof List)
        {
            return String.join(",", ((List<?>)value).stream().map(String::valueOf).toArray(String[]::new));
        }
        return String.valueOf(value);
    }

    private Long parseNumber(final String text)
    {
        final String digits = text.replace("_", "");
        if (digits.isEmpty() || text.startsWith("_") || text.endsWith("_") || text.contains("__") ||
            !digits.matches("-?[0-9]{1,19}"))
        {
            throw new IllegalArgumentException("must be a whole number (" + range() + ")");
        }
        try
        {
            return Long.parseLong(digits);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("must be a whole number (" + range() + ")", ex);
        }
    }

    @Override
    public String toString()
    {
        return name;
    }
}

package io.ssebroker.server.testing.browser;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON reader (RFC 8259) for what a test page sends with {@code JSON.stringify} and what the
 * broker puts in a {@code reset} event: objects become {@link LinkedHashMap}s, arrays {@link List}s,
 * numbers {@link Long} when integral and {@link Double} otherwise, and {@code null} null. Anything
 * malformed, including trailing text, is an {@link IllegalArgumentException} naming the position.
 */
public final class Json
{
    private final String text;
    private int index;

    private Json(final String text)
    {
        this.text = text;
    }

    public static Object parse(final String text)
    {
        final Json json = new Json(text);
        final Object value = json.value();
        json.skipWhitespace();
        if (json.index != text.length())
        {
            throw json.error("trailing text");
        }
        return value;
    }

    /**
     * {@link #parse} for text that must be an object.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(final String text)
    {
        final Object value = parse(text);
        if (!(value instanceof Map))
        {
            throw new IllegalArgumentException("not a JSON object: " + text);
        }
        return (Map<String, Object>)value;
    }

    private Object value()
    {
        skipWhitespace();
        if (index >= text.length())
        {
            throw error("value expected");
        }
        final char c = text.charAt(index);
        return switch (c)
        {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> number();
        };
    }

    private Map<String, Object> object()
    {
        final Map<String, Object> object = new LinkedHashMap<>();
        index++;
        skipWhitespace();
        if (peek('}'))
        {
            index++;
            return object;
        }
        while (true)
        {
            skipWhitespace();
            if (!peek('"'))
            {
                throw error("member name expected");
            }
            final String name = string();
            skipWhitespace();
            expect(':');
            if (object.containsKey(name))
            {
                throw error("duplicate member '" + name + "'");
            }
            object.put(name, value());
            skipWhitespace();
            if (peek(','))
            {
                index++;
                continue;
            }
            expect('}');
            return object;
        }
    }

    private List<Object> array()
    {
        final List<Object> array = new ArrayList<>();
        index++;
        skipWhitespace();
        if (peek(']'))
        {
            index++;
            return array;
        }
        while (true)
        {
            array.add(value());
            skipWhitespace();
            if (peek(','))
            {
                index++;
                continue;
            }
            expect(']');
            return array;
        }
    }

    private String string()
    {
        index++;
        final StringBuilder out = new StringBuilder();
        while (true)
        {
            if (index >= text.length())
            {
                throw error("unterminated string");
            }
            final char c = text.charAt(index++);
            if ('"' == c)
            {
                return out.toString();
            }
            if (c < 0x20)
            {
                throw error("unescaped control character in string");
            }
            if ('\\' != c)
            {
                out.append(c);
                continue;
            }
            if (index >= text.length())
            {
                throw error("unterminated escape");
            }
            final char escape = text.charAt(index++);
            switch (escape)
            {
                case '"', '\\', '/' -> out.append(escape);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' ->
                {
                    if (index + 4 > text.length())
                    {
                        throw error("short \\u escape");
                    }
                    try
                    {
                        out.append((char)Integer.parseInt(text.substring(index, index + 4), 16));
                    }
                    catch (final NumberFormatException ex)
                    {
                        throw error("bad \\u escape");
                    }
                    index += 4;
                }
                default -> throw error("bad escape '\\" + escape + "'");
            }
        }
    }

    private Object number()
    {
        final int start = index;
        final char first = text.charAt(index);
        if ('-' != first && (first < '0' || first > '9'))
        {
            throw error("unexpected '" + first + "'");
        }
        if (peek('-'))
        {
            index++;
        }
        boolean integral = true;
        while (index < text.length())
        {
            final char c = text.charAt(index);
            if (c >= '0' && c <= '9')
            {
                index++;
            }
            else if ('.' == c || 'e' == c || 'E' == c || '+' == c || '-' == c)
            {
                integral = false;
                index++;
            }
            else
            {
                break;
            }
        }
        final String number = text.substring(start, index);
        try
        {
            return integral ? (Object)Long.parseLong(number) : (Object)Double.parseDouble(number);
        }
        catch (final NumberFormatException ex)
        {
            throw error("bad number '" + number + "'");
        }
    }

    private Object literal(final String word, final Object value)
    {
        if (!text.startsWith(word, index))
        {
            throw error(word + " expected");
        }
        index += word.length();
        return value;
    }

    private void expect(final char c)
    {
        if (!peek(c))
        {
            throw error("'" + c + "' expected");
        }
        index++;
    }

    private boolean peek(final char c)
    {
        return index < text.length() && c == text.charAt(index);
    }

    private void skipWhitespace()
    {
        while (index < text.length())
        {
            final char c = text.charAt(index);
            if (' ' != c && '\t' != c && '\n' != c && '\r' != c)
            {
                return;
            }
            index++;
        }
    }

    private IllegalArgumentException error(final String problem)
    {
        return new IllegalArgumentException("malformed JSON at " + index + ": " + problem + " in: " + text);
    }
}

package io.ssebroker.server.testing.browser;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Map;

/**
 * JSON as the tests read it (what a page sends with {@code JSON.stringify}, what the broker puts in a
 * {@code reset} event), through Jackson: objects become maps, arrays lists, integral numbers {@link Long}.
 * Anything malformed, trailing text included, is an {@link IllegalArgumentException}.
 */
public final class Json
{
    private static final ObjectMapper MAPPER = new ObjectMapper()
        .enable(DeserializationFeature.USE_LONG_FOR_INTS)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>()
    {
    };

    private Json()
    {
    }

    /**
     * @return the object the text holds.
     */
    public static Map<String, Object> parseObject(final String text)
    {
        try
        {
            return MAPPER.readValue(text, OBJECT);
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalArgumentException("not a JSON object: " + ex.getOriginalMessage(), ex);
        }
    }
}

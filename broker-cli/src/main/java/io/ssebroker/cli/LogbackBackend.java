package io.ssebroker.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import io.ssebroker.server.LogBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logback as the broker's logging backend: one record per line on standard error, as text or as a JSON object
 * (logback's {@link JsonEncoder}: {@code timestamp}, {@code level}, {@code threadName}, {@code loggerName},
 * {@code formattedMessage}, {@code mdc} and {@code throwable}).
 * <p>
 * <b>Threading:</b> called once on the starting thread, before the broker starts.
 */
public final class LogbackBackend implements LogBackend
{
    /** The text layout: ISO-8601 local time, level, logger, message. */
    static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSS} %-5level %logger{36}: %msg%n";

    @Override
    public void configure(final String format, final String level)
    {
        final LoggerContext context = (LoggerContext)LoggerFactory.getILoggerFactory();
        context.reset();

        final Encoder<ILoggingEvent> encoder;
        if ("json".equals(format))
        {
            final JsonEncoder json = new JsonEncoder();
            json.setContext(context);
            // The message as read ("formattedMessage"), not the pattern and its arguments; no context block.
            json.setWithFormattedMessage(true);
            json.setWithMessage(false);
            json.setWithArguments(false);
            json.setWithContext(false);
            json.start();
            encoder = json;
        }
        else
        {
            final PatternLayoutEncoder text = new PatternLayoutEncoder();
            text.setContext(context);
            text.setPattern(TEXT_PATTERN);
            text.start();
            encoder = text;
        }
        final ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName("stderr");
        appender.setTarget("System.err");
        appender.setEncoder(encoder);
        appender.start();

        final ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(level, Level.INFO));
        root.addAppender(appender);
    }
}

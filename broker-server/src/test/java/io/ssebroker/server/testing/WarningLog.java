package io.ssebroker.server.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Records every log record at {@code WARNING} or above, from any logger and any thread: the broker
 * logs each exception that reaches a handler's {@code exceptionCaught} (and Netty its own
 * surprises, leak reports included) there, so an empty log is part of "nothing unexpected happened".
 * <p>
 * <b>Threading:</b> records from any thread; {@link #drain} from the test thread.
 */
public final class WarningLog implements AutoCloseable
{
    private final Logger root = Logger.getLogger("");
    private final List<LogRecord> records = new ArrayList<>();
    private final Handler handler = new Handler()
    {
        @Override
        public void publish(final LogRecord record)
        {
            if (record.getLevel().intValue() >= Level.WARNING.intValue())
            {
                synchronized (records)
                {
                    records.add(record);
                }
            }
        }

        @Override
        public void flush()
        {
        }

        @Override
        public void close()
        {
        }
    };

    private WarningLog()
    {
    }

    public static WarningLog install()
    {
        final WarningLog log = new WarningLog();
        log.root.addHandler(log.handler);
        return log;
    }

    /**
     * @return the records since the last call, each as logger, level, message and the cause's stack
     *         trace; empty when there were none.
     */
    public String drain()
    {
        final List<LogRecord> drained;
        synchronized (records)
        {
            if (records.isEmpty())
            {
                return "";
            }
            drained = new ArrayList<>(records);
            records.clear();
        }
        final StringBuilder text = new StringBuilder();
        for (final LogRecord record : drained)
        {
            text.append(record.getLevel()).append(' ').append(record.getLoggerName()).append(": ")
                .append(record.getMessage()).append('\n');
            if (null != record.getThrown())
            {
                final StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                text.append(trace).append('\n');
            }
        }
        return text.toString();
    }

    @Override
    public void close()
    {
        root.removeHandler(handler);
    }
}

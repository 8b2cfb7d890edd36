package io.ssebroker.server.testing.browser;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A second origin for browser tests: a JDK {@link HttpServer} on an ephemeral loopback port that serves
 * a page opening an {@code EventSource} on the broker (so the stream is cross-origin), and collects
 * what that page reports back.
 *
 * <h2>Reports</h2>
 * The page records every {@code open}, {@code error}, {@code message}, {@code quote} and {@code reset}
 * of its source as a {@link PageEntry} and, after each, POSTs all entries so far as JSON
 * ({@code {"seq":n,"entries":[...]}}) to {@code /report}, one request at a time; the server keeps the
 * report with the highest {@code seq}. A test waits for a condition on the entries with
 * {@link #await}, which wakes on every report and fails at its deadline with what the page had seen
 * and the browser's log.
 * <p>
 * <b>Threading:</b> reports arrive on the server's dispatcher thread; every accessor may be called
 * from any thread.
 */
public final class EventSourcePage implements AutoCloseable
{
    private static final String PAGE = """
        <!DOCTYPE html>
        <html>
        <head><meta charset="utf-8"><link rel="icon" href="data:,"><title>EventSource probe</title></head>
        <body>
        <script>
        'use strict';
        const params = new URLSearchParams(location.search);
        const entries = [];
        let seq = 0;
        let sending = false;
        let pending = false;

        // One report in flight at a time, each carrying everything so far: the latest report is the
        // whole story, however the requests are scheduled.
        function report() {
          if (sending) {
            pending = true;
            return;
          }
          sending = true;
          pending = false;
          fetch('/report', {
            method: 'POST',
            headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({seq: ++seq, entries: entries})
          }).catch(() => {
            pending = true;
          }).finally(() => {
            sending = false;
            if (pending) {
              setTimeout(report, 20);
            }
          });
        }

        function record(entry) {
          entries.push(entry);
          report();
        }

        const source = new EventSource(params.get('stream'), {withCredentials: 'true' === params.get('credentials')});
        source.onopen = () => record({type: 'open', readyState: source.readyState});
        source.onerror = () => record({type: 'error', readyState: source.readyState});
        for (const type of ['message', 'quote', 'reset']) {
          source.addEventListener(type, (event) => record(
            {type: event.type, data: event.data, lastEventId: event.lastEventId, readyState: source.readyState}));
        }
        </script>
        </body>
        </html>
        """;
    private static final byte[] PAGE_BYTES = PAGE.getBytes(StandardCharsets.UTF_8);

    private final HttpServer server;
    private final Object lock = new Object();
    private int pageLoads;
    private long latestSeq;
    private List<PageEntry> entries = List.of();
    private String malformedReport;
    private HeadlessChromium browser;

    private EventSourcePage(final HttpServer server)
    {
        this.server = server;
    }

    /**
     * Starts the page server on an ephemeral port of 127.0.0.1.
     */
    public static EventSourcePage start() throws IOException
    {
        final HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 16);
        final EventSourcePage page = new EventSourcePage(server);
        server.createContext("/", page::handle);
        server.start();
        return page;
    }

    /**
     * @return this page's origin, as the browser sends it in {@code Origin}: {@code http://127.0.0.1:port}.
     */
    public String origin()
    {
        return "http://" + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort();
    }

    /**
     * @param streamUrl       the absolute URL the page's {@code EventSource} opens.
     * @param withCredentials the {@code withCredentials} option of the {@code EventSource}.
     * @return the page's URL.
     */
    public URI uri(final String streamUrl, final boolean withCredentials)
    {
        return URI.create(origin() + "/?stream=" + URLEncoder.encode(streamUrl, StandardCharsets.UTF_8) +
            "&credentials=" + withCredentials);
    }

    /**
     * Starts headless Chromium on this page; the caller closes it (which kills it). Its log goes into
     * {@link #await} failure messages.
     */
    public HeadlessChromium launch(final String streamUrl, final boolean withCredentials) throws IOException
    {
        final HeadlessChromium browser = HeadlessChromium.open(uri(streamUrl, withCredentials));
        synchronized (lock)
        {
            this.browser = browser;
        }
        return browser;
    }

    /**
     * @return the entries of the latest report.
     */
    public List<PageEntry> entries()
    {
        synchronized (lock)
        {
            return entries;
        }
    }

    /**
     * Waits until the latest report satisfies the condition.
     *
     * @return the entries that satisfied it.
     * @throws AssertionError at the deadline, or at once when the page sent a malformed report or the
     *                        browser exited; the message names what was awaited and what the page saw.
     */
    public List<PageEntry> await(final String what, final Predicate<List<PageEntry>> condition, final Duration timeout)
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        synchronized (lock)
        {
            while (!condition.test(entries))
            {
                final long remainingNs = deadlineNs - System.nanoTime();
                if (remainingNs <= 0 || null != malformedReport || (null != browser && !browser.isAlive()))
                {
                    throw new AssertionError("waiting for " + what + ": " + diagnostics(timeout));
                }
                try
                {
                    // Woken by every report; the bound re-checks the browser's liveness now and then.
                    lock.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(remainingNs), 250)));
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted while waiting for " + what, ex);
                }
            }
            return entries;
        }
    }

    private String diagnostics(final Duration timeout)
    {
        final StringBuilder out = new StringBuilder();
        if (null != malformedReport)
        {
            out.append("malformed report: ").append(malformedReport);
        }
        else if (null != browser && !browser.isAlive())
        {
            out.append("chromium exited");
        }
        else
        {
            out.append("timed out after ").append(timeout.toMillis()).append(" ms");
        }
        out.append("; page served ").append(pageLoads).append(" time(s); latest report #").append(latestSeq)
            .append(": ").append(entries);
        if (null != browser)
        {
            out.append("\nchromium log:\n").append(browser.logTail());
        }
        return out.toString();
    }

    private void handle(final HttpExchange exchange) throws IOException
    {
        try (InputStream body = exchange.getRequestBody())
        {
            final byte[] request = body.readAllBytes();
            final String path = exchange.getRequestURI().getPath();
            if ("GET".equals(exchange.getRequestMethod()) && "/".equals(path))
            {
                synchronized (lock)
                {
                    pageLoads++;
                }
                exchange.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
                exchange.getResponseHeaders().add("Cache-Control", "no-store");
                exchange.sendResponseHeaders(200, PAGE_BYTES.length);
                try (OutputStream out = exchange.getResponseBody())
                {
                    out.write(PAGE_BYTES);
                }
            }
            else if ("POST".equals(exchange.getRequestMethod()) && "/report".equals(path))
            {
                onReport(new String(request, StandardCharsets.UTF_8));
                exchange.sendResponseHeaders(204, -1);
            }
            else
            {
                exchange.sendResponseHeaders(404, -1);
            }
        }
        finally
        {
            exchange.close();
        }
    }

    private void onReport(final String json)
    {
        long seq = -1;
        List<PageEntry> parsed = null;
        String problem = null;
        try
        {
            final Map<String, Object> report = Json.parseObject(json);
            seq = (Long)report.get("seq");
            parsed = new ArrayList<>();
            for (final Object item : (List<?>)report.get("entries"))
            {
                final Map<?, ?> entry = (Map<?, ?>)item;
                parsed.add(new PageEntry(
                    (String)entry.get("type"),
                    (String)entry.get("data"),
                    (String)entry.get("lastEventId"),
                    ((Long)entry.get("readyState")).intValue()));
            }
        }
        catch (final RuntimeException ex)
        {
            problem = ex + " in " + json;
        }
        synchronized (lock)
        {
            if (null != problem)
            {
                malformedReport = problem;
            }
            else if (seq > latestSeq)
            {
                latestSeq = seq;
                entries = List.copyOf(parsed);
            }
            lock.notifyAll();
        }
    }

    /**
     * Stops the server at once (open connections are closed).
     */
    @Override
    public void close()
    {
        server.stop(0);
    }
}

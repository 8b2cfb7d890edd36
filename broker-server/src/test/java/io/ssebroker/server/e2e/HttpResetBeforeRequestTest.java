package io.ssebroker.server.e2e;

import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.ssebroker.metrics.Counter;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.ServingProbeExtension;
import io.ssebroker.server.testing.WarningLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A client that resets its connection before sending a byte (a load generator exiting, a browser's unused
 * preconnect) is routine: counted as an I/O error, not logged as a warning. It reached the pipeline's tail while
 * the broker still waited to tell HTTP/1.1 from HTTP/2 (found at the end of a load run), and on the TLS port
 * Netty's protocol negotiation logged it before passing it on to the tail.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HttpResetBeforeRequestTest
{
    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.with(config -> config.tlsPort(0).tlsSelfSigned(true));

    @RegisterExtension
    final ServingProbeExtension probe = new ServingProbeExtension(broker);

    @Test
    void shouldCountNotLogAConnectionResetBeforeItsFirstByte() throws Exception
    {
        assertResetCountedNotLogged(broker.httpPort());
    }

    @Test
    void shouldCountNotLogAConnectionResetBeforeItsTlsHandshake() throws Exception
    {
        assertResetCountedNotLogged(broker.broker().tlsPort());
    }

    @Test
    void shouldCountNotLogPlainHttpSentToTheTlsPort() throws Exception
    {
        final long before = broker.counters().get(Counter.TLS_HANDSHAKE_FAILURES);
        try (WarningLog warnings = WarningLog.install())
        {
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), broker.broker().tlsPort()))
            {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals(-1, socket.getInputStream().read(), "closed without an answer: it cannot be given in TLS");
            }
            Await.until(() -> "the failed handshake to be counted",
                () -> broker.counters().get(Counter.TLS_HANDSHAKE_FAILURES) == before + 1, Duration.ofSeconds(10));
            probe.assertStillServing();
            assertEquals("", warnings.drain());
        }
    }

    private void assertResetCountedNotLogged(final int port) throws Exception
    {
        final long ioErrors = broker.counters().get(Counter.CONNECTION_IO_ERRORS);
        try (WarningLog warnings = WarningLog.install())
        {
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port))
            {
                // Established, so whenever the broker accepts it, its first read finds ECONNRESET.
                socket.setSoLinger(true, 0);
            }
            Await.until(() -> "the reset to be counted", () -> broker.counters().get(Counter.CONNECTION_IO_ERRORS) > ioErrors,
                Duration.ofSeconds(10));
            probe.assertStillServing();
            assertEquals("", warnings.drain());
        }
    }
}

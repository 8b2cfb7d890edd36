package io.ssebroker.server.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.RawHttpConnection;
import io.ssebroker.server.testing.RawResponse;
import io.ssebroker.server.testing.ServingProbeExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An h2c upgrade request that carries a body or an {@code Expect} is served over HTTP/1.1 by the
 * broker itself, with its documented answers, instead of being collected for the upgrade: Netty's
 * collector answered an unmet expectation with a bare 417 and a declared body over its limit with a
 * bare 413, neither documented nor carrying a reason (found by fuzzing the HTTP port).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HttpUpgradeRequestTest
{
    private static final String UPGRADE = "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n" +
        "Connection: Upgrade, HTTP2-Settings\r\n";

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();

    @RegisterExtension
    final ServingProbeExtension probe = new ServingProbeExtension(broker);

    @Test
    void shouldAnswerOverHttp1WhenAnUpgradeRequestHasAnExpectationTheBrokerCannotMeet() throws IOException
    {
        final RawResponse response = exchange("GET /health HTTP/1.1\r\nHost: x\r\n" + UPGRADE + "Expect: 1_\r\n\r\n");

        assertEquals(200, response.status(), response.head());
        assertEquals("ok\n", new String(response.body(), StandardCharsets.UTF_8));
        probe.assertStillServing();
    }

    @Test
    void shouldReject413WithAReasonWhenAnUpgradeRequestDeclaresATooLargeBody() throws IOException
    {
        final RawResponse response = exchange("POST /publish?topic=t HTTP/1.1\r\nHost: x\r\n" + UPGRADE +
            "Content-Length: 99999999\r\n\r\n");

        assertEquals(413, response.status(), response.head());
        final String reason = new String(response.body(), StandardCharsets.UTF_8);
        assertTrue(reason.startsWith("body of 99999999 bytes exceeds the limit of "), reason);
        probe.assertStillServing();
    }

    @Test
    void shouldPublishOverHttp1WhenAnUpgradeRequestHasABody() throws IOException
    {
        final RawResponse response = exchange("POST /publish?topic=upgrade-with-body HTTP/1.1\r\nHost: x\r\n" + UPGRADE +
            "Content-Length: 2\r\n\r\nhi");

        assertEquals(200, response.status(), response.head());
        assertTrue(Long.parseLong(new String(response.body(), StandardCharsets.UTF_8)) >= broker.epochId());
        probe.assertStillServing();
    }

    @Test
    void shouldAnswerOverHttp1WhenAnUpgradeRequestHasATargetHttp2CannotCarry() throws IOException
    {
        // The fragment is dropped from the path, so over HTTP/1.1 this is the health check; HTTP/2 refuses
        // the NUL in :path, and upgrading it failed in the HTTP/2 handler (found by fuzzing).
        final RawResponse response = exchange("GET /health#\0x HTTP/1.1\r\nHost: x\r\n" + UPGRADE + "\r\n");

        assertEquals(200, response.status(), response.head());
        assertEquals("ok\n", new String(response.body(), StandardCharsets.UTF_8));
        probe.assertStillServing();
    }

    private static RawResponse exchange(final String request) throws IOException
    {
        try (RawHttpConnection connection = RawHttpConnection.open(broker.httpPort()))
        {
            connection.send(request.getBytes(StandardCharsets.ISO_8859_1));
            return connection.readResponse();
        }
    }
}

package io.ssebroker.server.e2e;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.StreamConfiguration;
import io.ssebroker.server.testing.NatsServer;
import io.ssebroker.server.testing.NodeProcess;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stream deleted and created again under a running node (its sequences, hence ids, start over): the node's
 * {@code serve} process says why and exits with status 3 after a graceful shutdown, its streams ended cleanly, so a
 * supervisor starts it again in the new epoch (where old ids get {@code unknown-epoch}, {@code ClusterTest}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterStreamReplacedTest
{
    @Test
    void shouldEndItsStreamsAndExitWithStatusThreeWhenTheStreamIsReplaced() throws Exception
    {
        try (NatsServer nats = NatsServer.start();
            NodeProcess node = NodeProcess.start(nats.url(), "cluster-stream-replaced-node");
            SseStream stream = SseStream.open(node.httpPort(), "/events?topic=t");
            Connection connection = Nats.connect(nats.url()))
        {
            final JetStreamManagement management = connection.jetStreamManagement();
            final StreamConfiguration config = management.getStreamInfo("sse").getConfiguration();
            management.deleteStream("sse");
            Thread.sleep(5); // a later creation time
            management.addStream(config);

            assertEquals(3, node.awaitExit(30_000), "exit status of a node whose stream was replaced");
            assertEquals(SseStream.END_CHUNK, stream.nextChunkText(), "its stream ends cleanly, for the client to go elsewhere");
            final String log = Files.readString(Path.of("target", "cluster-stream-replaced-node.log"), StandardCharsets.UTF_8);
            assertTrue(log.contains("was deleted and created again"), log);
        }
    }
}

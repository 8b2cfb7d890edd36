package io.ssebroker.server.ingest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.ssebroker.client.IngestErrorCode;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.config.BrokerConfig;
import io.ssebroker.server.testing.EngineBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ingest port's initializer on {@link EmbeddedChannel}s: an admitted connection gets the ingest handler; one
 * over the connection limit gets the documented {@code ERROR} (sequence 0, BAD_HANDSHAKE), byte for byte, and
 * is closed and counted.
 */
class IngestServerInitializerTest
{
    private final EngineBackend backend = new EngineBackend(BrokerConfig.defaults().maxConnections(1));

    @AfterEach
    void tearDown()
    {
        backend.close();
    }

    @Test
    void shouldAdmitUpToTheLimitThenRefuseWithAnError()
    {
        final IngestServerInitializer initializer = new IngestServerInitializer(backend);
        final EmbeddedChannel admitted = new EmbeddedChannel(initializer);
        final EmbeddedChannel refused = new EmbeddedChannel(initializer);
        try
        {
            assertNotNull(admitted.pipeline().get(IngestConnectionHandler.class));
            assertTrue(admitted.isOpen());

            final byte[] text = "too many connections from here; retry later".getBytes(StandardCharsets.US_ASCII);
            final ByteBuf expected = Unpooled.buffer()
                .writeInt(1 + 8 + 2 + 2 + text.length).writeByte(0x7F)
                .writeLong(0).writeShort(IngestErrorCode.BAD_HANDSHAKE).writeShort(text.length).writeBytes(text);
            final ByteBuf answer = refused.readOutbound();
            assertEquals(ByteBufUtil.hexDump(expected), ByteBufUtil.hexDump(answer));
            expected.release();
            answer.release();
            refused.runPendingTasks();
            assertFalse(refused.isOpen());
            assertEquals(1, backend.counters().get(Counter.CONNECTIONS_REFUSED_TOTAL));
            assertEquals(1, backend.ingestChannels().size());
        }
        finally
        {
            admitted.finishAndReleaseAll();
            refused.finishAndReleaseAll();
        }
    }
}

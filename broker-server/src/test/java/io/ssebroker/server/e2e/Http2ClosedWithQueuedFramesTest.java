package io.ssebroker.server.e2e;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import io.ssebroker.metrics.Counter;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.H2Wire;
import io.ssebroker.server.testing.ServingProbeExtension;
import io.ssebroker.server.testing.WarningLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * An h2 client that grants window but never reads, then resets its connection: the broker's socket is full and
 * frames the flow controller released wait in the channel when it closes. Each of those failing must not become
 * an exception at the pipeline's tail, which Netty logs as a warning (found under load: 79,118 warnings in 30 s
 * at 10,000 streams x 1,000 events/s, one per frame queued on connections that closed).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Http2ClosedWithQueuedFramesTest
{
    private static final int STREAMS = 20;
    private static final int WINDOW_GRANT = 64 * 1024;

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.with(config -> config.historyCount(100_000))
        .withPublisher("h2-queued-frames");

    @RegisterExtension
    final ServingProbeExtension probe = new ServingProbeExtension(broker);

    @Test
    void shouldNotLogAWarningForEachFrameStillQueuedWhenTheConnectionCloses() throws Exception
    {
        final long opened = broker.counters().get(Counter.STREAMS_OPENED);
        final long closed = broker.counters().get(Counter.STREAMS_CLOSED);
        try (WarningLog warnings = WarningLog.install())
        {
            try (Socket socket = new Socket())
            {
                socket.setReceiveBufferSize(4096);
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), broker.httpPort()));
                final OutputStream out = socket.getOutputStream();
                // Small stream windows, so the broker's DATA goes through the flow controller as the grants come in.
                final ByteArrayOutputStream opening = new ByteArrayOutputStream();
                opening.write(H2Wire.PREFACE);
                H2Wire.writeFrame(opening, H2Wire.SETTINGS, 0, 0, new byte[] {0, 0x4, 0, 0, 0x10, 0});
                for (int i = 0; i < STREAMS; i++)
                {
                    H2Wire.writeFrame(opening, H2Wire.HEADERS, H2Wire.END_HEADERS | H2Wire.END_STREAM, 1 + 2 * i,
                        H2Wire.requestBlock("GET", "/events?topic=h2-queued", "127.0.0.1"));
                }
                out.write(opening.toByteArray());
                out.flush();
                Await.until(() -> "the streams to open",
                    () -> broker.counters().get(Counter.STREAMS_OPENED) - opened == STREAMS, Duration.ofSeconds(10));

                final byte[] data = new byte[16 * 1024];
                Arrays.fill(data, (byte)'x');
                // 20 streams x 60 events x 16 KiB is about 19 MiB offered, far more than the socket buffers hold
                // once nothing is read; the grants keep releasing DATA from the flow controller into the channel.
                for (int round = 0; round < 60; round++)
                {
                    broker.publisher().publish("h2-queued", null, data).get(10, TimeUnit.SECONDS);
                    final ByteArrayOutputStream grants = new ByteArrayOutputStream();
                    H2Wire.writeFrame(grants, H2Wire.WINDOW_UPDATE, 0, 0, int32(WINDOW_GRANT * STREAMS));
                    for (int i = 0; i < STREAMS; i++)
                    {
                        H2Wire.writeFrame(grants, H2Wire.WINDOW_UPDATE, 0, 1 + 2 * i, int32(WINDOW_GRANT));
                    }
                    out.write(grants.toByteArray());
                    out.flush();
                }
                // Closed with a reset, while the broker's side still holds what it could not send.
                socket.setSoLinger(true, 0);
            }

            Await.until(() -> "the streams to close", () -> broker.counters().get(Counter.STREAMS_CLOSED) - closed == STREAMS,
                Duration.ofSeconds(20));
            probe.assertStillServing();
            assertEquals("", warnings.drain());
        }
    }

    private static byte[] int32(final int value)
    {
        return ByteBuffer.allocate(4).putInt(value).array();
    }
}

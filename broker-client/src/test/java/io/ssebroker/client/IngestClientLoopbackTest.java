package io.ssebroker.client;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link IngestClient} over a real loopback socket against a scripted broker written from the protocol
 * document with blocking JDK sockets, so the two sides share no code.
 * <p>
 * The script's own assertions run on the scripted broker's thread, where a failure would never reach JUnit;
 * so whatever the script throws is kept and rethrown by {@link #stopBroker()}, which also fails the test when
 * the script has not run to its end.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class IngestClientLoopbackTest
{
    private final ServerSocket server;
    private final AtomicReference<Throwable> scriptFailure = new AtomicReference<>();
    private Thread brokerThread;

    IngestClientLoopbackTest() throws IOException
    {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    }

    @AfterEach
    void stopBroker() throws Throwable
    {
        if (null != brokerThread)
        {
            brokerThread.join(10_000);
        }
        server.close();
        final Throwable failure = scriptFailure.get();
        if (null != failure)
        {
            throw failure;
        }
        if (null != brokerThread && brokerThread.isAlive())
        {
            fail("the scripted broker did not run its script to the end within 10 s");
        }
    }

    @Test
    void shouldConnectPublishAndDrainOnClose() throws Exception
    {
        final int frames = 1000;
        startBroker(
            (in, out) ->
            {
                expectHello(in);
                writeWelcome(out, 64);
                for (int seq = 1; seq <= frames; seq++)
                {
                    final int length = in.readInt();
                    assertEquals(0x10, in.readUnsignedByte());
                    in.readFully(new byte[length - 1]);
                    writeAck(out, seq, 1, 1000 + seq);
                }
            });

        final IngestClient client = IngestClient.connect("127.0.0.1", server.getLocalPort(), "", "loopback-test");
        assertEquals(64, client.window());
        CompletableFuture<Long> last = null;
        for (int i = 0; i < frames; i++)
        {
            last = client.publish("t", "e", "payload".getBytes(StandardCharsets.US_ASCII));
        }

        assertTrue(client.close(10_000));
        assertEquals(1000L + frames, last.get());
    }

    @Test
    void shouldSendEveryFrameOfABurstWithoutAnExplicitFlush() throws Exception
    {
        final int frames = 20_000;
        startBroker(
            (in, out) ->
            {
                expectHello(in);
                writeWelcome(out, 4096);
                for (int seq = 1; seq <= frames; seq++)
                {
                    final int length = in.readInt();
                    in.readFully(new byte[length]);
                    writeAck(out, seq, 1, seq);
                }
            });
        final AtomicLong acked = new AtomicLong();
        final IngestClient client = IngestClient.connect(new IngestClient.Context()
            .port(server.getLocalPort())
            .listener(new AckListener()
            {
                public void onAck(final long firstSeq, final int count, final long firstId)
                {
                    acked.addAndGet(count);
                }

                public void onError(final long seq, final int code, final String message)
                {
                }
            }));
        final byte[] data = { 'x' };

        // Bursts separated by pauses, so that a frame queued behind a pending flush task would be stranded
        // until the next burst, and the last burst's tail forever.
        int published = 0;
        while (published < frames)
        {
            for (int i = 0; i < 97 && published < frames; i++)
            {
                if (client.tryPublish("t", null, data, 0, 1) > 0)
                {
                    published++;
                }
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
        }

        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (acked.get() < frames && deadlineNs - System.nanoTime() > 0)
        {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        assertEquals(frames, acked.get());
        client.close();
    }

    @Test
    void shouldHoldFramesForTheFlushLingerThenWriteThemInOneWrite() throws Exception
    {
        final long lingerMs = 300;
        final int frames = 5;
        final AtomicLong publishedAtNs = new AtomicLong();
        final AtomicLong firstReadAtNs = new AtomicLong();
        final AtomicLong availableAfterFirst = new AtomicLong();
        final AtomicLong frameBytes = new AtomicLong();
        startBroker(
            (in, out) ->
            {
                expectHello(in);
                writeWelcome(out, 64);
                for (int seq = 1; seq <= frames; seq++)
                {
                    final int length = in.readInt();
                    if (1 == seq)
                    {
                        firstReadAtNs.set(System.nanoTime());
                        frameBytes.set(4 + length);
                    }
                    in.readFully(new byte[length]);
                    if (1 == seq)
                    {
                        availableAfterFirst.set(in.available());
                    }
                }
                writeAck(out, 1, frames, 1);
            });
        final IngestClient client = IngestClient.connect(new IngestClient.Context()
            .port(server.getLocalPort())
            .flushLingerUs(TimeUnit.MILLISECONDS.toMicros(lingerMs)));
        final List<CompletableFuture<Long>> acks = new ArrayList<>();
        publishedAtNs.set(System.nanoTime());
        for (int i = 0; i < frames; i++)
        {
            acks.add(client.publish("t", null, "payload".getBytes(StandardCharsets.US_ASCII)));
        }
        for (final CompletableFuture<Long> ack : acks)
        {
            ack.get(10, TimeUnit.SECONDS);
        }
        brokerThread.join(10_000);
        assertTrue(firstReadAtNs.get() - publishedAtNs.get() >= TimeUnit.MILLISECONDS.toNanos(lingerMs),
            "held for the linger: read " + (firstReadAtNs.get() - publishedAtNs.get()) / 1_000_000 + " ms after");
        assertEquals((frames - 1) * frameBytes.get(), availableAfterFirst.get(),
            "the frames published within the linger arrived with the first, in one write");
        client.close();
    }

    @Test
    void shouldFlushAtOnceWhenAskedWhateverTheLinger() throws Exception
    {
        startBroker(
            (in, out) ->
            {
                expectHello(in);
                writeWelcome(out, 64);
                final int length = in.readInt();
                in.readFully(new byte[length]);
                writeAck(out, 1, 1, 77);
            });
        final IngestClient client = IngestClient.connect(new IngestClient.Context()
            .port(server.getLocalPort())
            .flushLingerUs(TimeUnit.MINUTES.toMicros(10)));
        final CompletableFuture<Long> ack = client.publish("t", null, "x".getBytes(StandardCharsets.US_ASCII));
        client.flush();
        assertEquals(77L, ack.get(10, TimeUnit.SECONDS), "written by flush(), not ten minutes later");
        client.close();
    }

    @Test
    void shouldThrowAuthFailedFromConnect()
    {
        startBroker(
            (in, out) ->
            {
                expectHello(in);
                final byte[] text = "bad token".getBytes(StandardCharsets.UTF_8);
                out.writeInt(1 + 12 + text.length);
                out.writeByte(0x7F);
                out.writeLong(0);
                out.writeShort(IngestErrorCode.AUTH_FAILED);
                out.writeShort(text.length);
                out.write(text);
                out.flush();
            });

        final IngestException ex = assertThrows(
            IngestException.class, () -> IngestClient.connect("127.0.0.1", server.getLocalPort(), "x", "t"));

        assertEquals(IngestErrorCode.AUTH_FAILED, ex.code());
    }

    @Test
    void shouldTimeOutWhenWelcomeNeverComes()
    {
        startBroker(
            (in, out) ->
            {
                expectHello(in);
                assertEquals(-1, in.read(), "the client sends nothing more and closes at the timeout");
            });
        final IngestClient.Context ctx = new IngestClient.Context()
            .port(server.getLocalPort())
            .connectTimeoutMs(300);

        final IngestException ex = assertThrows(IngestException.class, () -> IngestClient.connect(ctx));

        assertEquals(IngestErrorCode.TIMEOUT, ex.code());
    }

    @Test
    void shouldFailPendingPublishWhenConnectionDrops() throws Exception
    {
        startBroker(
            (in, out) ->
            {
                expectHello(in);
                writeWelcome(out, 16);
                in.readInt();
            });
        final IngestClient client = IngestClient.connect("127.0.0.1", server.getLocalPort(), null, null);

        final CompletableFuture<Long> pending = client.publish("t", null, new byte[]{ 'x' });

        final ExecutionException ex = assertThrows(ExecutionException.class, pending::get);
        assertEquals(IngestErrorCode.CONNECTION_CLOSED, assertInstanceOf(IngestException.class, ex.getCause()).code());
        client.close();
    }

    private interface Script
    {
        void run(DataInputStream in, DataOutputStream out) throws Exception;
    }

    private void startBroker(final Script script)
    {
        brokerThread = new Thread(
            () ->
            {
                try (Socket socket = server.accept())
                {
                    final DataInputStream in = new DataInputStream(socket.getInputStream());
                    final DataOutputStream out = new DataOutputStream(socket.getOutputStream());
                    script.run(in, out);
                    out.flush();
                }
                catch (final Throwable ex)
                {
                    if (!server.isClosed())
                    {
                        scriptFailure.set(ex);
                    }
                }
            },
            "scripted-broker");
        brokerThread.setDaemon(true);
        brokerThread.start();
    }

    private static void expectHello(final DataInputStream in) throws IOException
    {
        final int length = in.readInt();
        assertEquals(0x01, in.readUnsignedByte());
        assertEquals(0x53534542, in.readInt());
        assertEquals(1, in.readUnsignedByte());
        final int tokenLength = in.readUnsignedShort();
        in.readFully(new byte[tokenLength]);
        final int nameLength = in.readUnsignedShort();
        in.readFully(new byte[nameLength]);
        assertEquals(10 + tokenLength + nameLength, length);
    }

    private static void writeWelcome(final DataOutputStream out, final int maxInFlight) throws IOException
    {
        out.writeInt(22);
        out.writeByte(0x02);
        out.writeByte(1);
        out.writeInt(1_048_576 + 512);
        out.writeInt(1_048_576);
        out.writeInt(maxInFlight);
        out.writeLong(1000);
        out.flush();
    }

    private static void writeAck(final DataOutputStream out, final long firstSeq, final int count, final long firstId)
        throws IOException
    {
        out.writeInt(21);
        out.writeByte(0x11);
        out.writeLong(firstSeq);
        out.writeInt(count);
        out.writeLong(firstId);
        out.flush();
    }
}

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.nats.client.Connection;
import io.nats.client.ConsumeOptions;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.MessageConsumer;
import io.nats.client.Nats;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

/**
 * What JetStream itself takes on this machine, without the broker: one connection publishing 100-byte messages
 * asynchronously (a window of acks in flight, a {@code Nats-Msg-Id} on each, as the broker sends them) into a
 * file-backed stream, and optionally one ordered consumer reading them back, as each broker node does. The figure is
 * the ceiling a node's publish path can reach on the same machine.
 * <pre>
 *   java -cp JNATS_JAR bench/JetStreamCeiling.java nats://127.0.0.1:4222 SECONDS WINDOW [CONSUMER [REPLICAS]]
 * </pre>
 * CONSUMER: none (default), {@code pull:N} (the simplified API's ordered consumer, pulls of N messages, as the broker
 * consumes) or {@code push} (the push-based ordered consumer with flow control). REPLICAS (default 1): the stream's
 * replication factor; more than 1 needs a JetStream cluster of at least that many servers.
 * Prints acknowledged publishes per second, the publish-to-ack latency (p50, p99, max) and, when consuming, messages
 * consumed per second. Deletes its stream ({@code ceiling}) before and after.
 */
public final class JetStreamCeiling
{
    public static void main(final String[] args) throws Exception
    {
        final String url = args.length > 0 ? args[0] : "nats://127.0.0.1:4222";
        final int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        final int window = args.length > 2 ? Integer.parseInt(args[2]) : 8192;
        final String mode = args.length > 3 ? args[3] : "none";
        final boolean consume = !"none".equals(mode);
        final int replicas = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        try (Connection connection = Nats.connect(url))
        {
            final JetStreamManagement management = connection.jetStreamManagement();
            try
            {
                management.deleteStream("ceiling");
            }
            catch (final Exception absent)
            {
                // first run
            }
            management.addStream(StreamConfiguration.builder().name("ceiling").subjects("ceiling.>")
                .storageType(StorageType.File).replicas(replicas).duplicateWindow(Duration.ofMinutes(2)).build());
            final JetStream jetStream = connection.jetStream();
            final AtomicLong consumed = new AtomicLong();
            AutoCloseable consumer = null;
            if (mode.startsWith("pull:"))
            {
                final MessageConsumer pull = connection.getStreamContext("ceiling").createOrderedConsumer(
                    new OrderedConsumerConfiguration().filterSubject("ceiling.>").deliverPolicy(DeliverPolicy.All))
                    .consume(ConsumeOptions.builder().expiresIn(5_000).batchSize(Integer.parseInt(mode.substring(5)))
                        .build(), message -> consumed.incrementAndGet());
                consumer = () ->
                {
                    // Stop, then let the pull under way end before the stream goes, or it is answered 409.
                    pull.stop();
                    final long untilNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
                    while (!pull.isFinished() && System.nanoTime() - untilNs < 0)
                    {
                        Thread.sleep(50);
                    }
                };
            }
            else if ("push".equals(mode))
            {
                final io.nats.client.Dispatcher dispatcher = connection.createDispatcher();
                jetStream.subscribe("ceiling.>", dispatcher, message -> consumed.incrementAndGet(), false,
                    io.nats.client.PushSubscribeOptions.builder().ordered(true).build());
                consumer = () -> connection.closeDispatcher(dispatcher);
            }
            final byte[] data = new byte[100];
            final ArrayDeque<CompletableFuture<PublishAck>> inFlight = new ArrayDeque<>();
            final ArrayDeque<Long> sentAtNs = new ArrayDeque<>();
            final LatencySample latencies = new LatencySample();
            long acked = 0;
            long sent = 0;
            final long startNs = System.nanoTime();
            final long endNs = startNs + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() - endNs < 0)
            {
                while (inFlight.size() < window)
                {
                    final Headers headers = new Headers().put("Nats-Msg-Id", "n:ceiling:" + sent);
                    inFlight.add(jetStream.publishAsync(NatsMessage.builder().subject("ceiling.t" + (sent % 10))
                        .headers(headers).data(data).build()));
                    sentAtNs.add(System.nanoTime());
                    sent++;
                }
                inFlight.poll().get(30, TimeUnit.SECONDS);
                latencies.add(System.nanoTime() - sentAtNs.poll());
                acked++;
            }
            final double elapsed = (System.nanoTime() - startNs) / 1e9;
            final long consumedInWindow = consumed.get();
            while (!inFlight.isEmpty())
            {
                inFlight.poll().get(30, TimeUnit.SECONDS);
            }
            System.out.printf("published and acknowledged: %.0f msgs/s (window %d, %d s, replicas %d)%n",
                acked / elapsed, window, seconds, replicas);
            System.out.printf("publish to ack: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n", latencies.quantileMs(0.50),
                latencies.quantileMs(0.99), latencies.quantileMs(1.0));
            if (consume)
            {
                System.out.printf("consumed by one ordered consumer (%s): %.0f msgs/s%n", mode, consumedInWindow / elapsed);
                consumer.close();
            }
            management.deleteStream("ceiling");
        }
    }

    /** Publish-to-ack times of one run, in nanoseconds (every ack of a short run fits in memory). */
    private static final class LatencySample
    {
        private long[] values = new long[1 << 16];
        private int size;

        void add(final long valueNs)
        {
            if (size == values.length)
            {
                values = java.util.Arrays.copyOf(values, size * 2);
            }
            values[size++] = valueNs;
        }

        double quantileMs(final double quantile)
        {
            if (size == 0)
            {
                return 0;
            }
            java.util.Arrays.sort(values, 0, size);
            final int index = Math.min(size - 1, (int)Math.ceil(quantile * size) - 1);
            return values[Math.max(0, index)] / 1e6;
        }
    }
}

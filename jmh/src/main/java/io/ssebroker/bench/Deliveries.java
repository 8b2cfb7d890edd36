package io.ssebroker.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Events delivered to subscribers in the iteration, reported next to the primary score as
 * {@code <benchmark>:deliveries}: a rate in throughput mode, time per delivery in average-time mode.
 * A benchmark adds what each operation delivered.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Deliveries
{
    public long deliveries;

    @Setup(Level.Iteration)
    public void reset()
    {
        deliveries = 0;
    }
}

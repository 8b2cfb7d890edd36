package io.ssebroker.test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;

class LeakDetectionExtensionTest
{
    @Test
    void shouldReportBufferThatIsNeverReleased()
    {
        leakOneBuffer();
        List<String> reports = List.of();
        for (int attempt = 0; attempt < 20 && reports.isEmpty(); attempt++)
        {
            reports = LeakDetectionExtension.detectNow();
        }
        assertFalse(reports.isEmpty(), "a buffer dropped without release must be reported as a leak");
    }

    private static void leakOneBuffer()
    {
        final ByteBuf leaked = PooledByteBufAllocator.DEFAULT.directBuffer(128);
        leaked.writeLong(42);
    }
}

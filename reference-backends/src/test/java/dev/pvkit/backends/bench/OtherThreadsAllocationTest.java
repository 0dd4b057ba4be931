package dev.pvkit.backends.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The allocation counter behind the benchmark's "alloc B/req": other threads count, the caller does not. */
class OtherThreadsAllocationTest {
    private static volatile Object sink;

    @Test
    void countsWhatAnotherThreadAllocatesAndNotTheCaller() throws Exception {
        assumeTrue(OtherThreadsAllocation.supported(), "this JVM does not count allocation per thread");
        OtherThreadsAllocation a = OtherThreadsAllocation.start();
        for (int i = 0; i < 64; i++) sink = new byte[1 << 20]; // the caller's 64 MiB: not counted
        long mine = a.bytes();
        Thread t = new Thread(() -> {
            for (int i = 0; i < 16; i++) sink = new byte[1 << 20];
            sleep(); // still alive at the reading: a thread that ended takes its count with it
        });
        t.start();
        while (t.getState() != Thread.State.TIMED_WAITING) Thread.onSpinWait();
        long other = a.bytes();
        t.interrupt();
        t.join();
        assertThat(mine).as("the caller's allocation").isLessThan(1 << 20);
        assertThat(other - mine).as("16 MiB allocated by another thread").isGreaterThanOrEqualTo(16L << 20);
    }

    private static void sleep() {
        try {
            Thread.sleep(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package dev.pvkit.sdk.os;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The eventfd doorbell and the epoll wait on it: what they report, and that the request path allocates nothing. */
class EventFdEpollTest {

    @Test
    void signalsAddUpAndAWaitReportsTheTokensOfReadyDescriptors() {
        try (EventFd a = EventFd.create(); EventFd b = EventFd.create(); Epoll ep = Epoll.create()) {
            ep.add(a.fd(), 7);
            ep.add(b.fd(), 1L << 40);
            long[] tokens = new long[4];
            assertThat(ep.wait(tokens, 0)).as("nothing signalled").isZero();
            a.signal();
            a.signal();
            b.signal();
            int n = ep.wait(tokens, 1000);
            assertThat(n).isEqualTo(2);
            assertThat(new long[]{tokens[0], tokens[1]}).containsExactlyInAnyOrder(7L, 1L << 40);
            assertThat(a.drain()).isEqualTo(2);
            assertThat(a.drain()).as("drained").isZero();
            assertThat(b.drain()).isEqualTo(1);
            assertThat(ep.wait(tokens, 0)).isZero();
        }
    }

    @Test
    void waitsOnSeveralThreadsEachGetTheirOwnEvents() throws Exception {
        try (EventFd a = EventFd.create(); Epoll ep1 = Epoll.create(); EventFd b = EventFd.create(); Epoll ep2 = Epoll.create()) {
            ep1.add(a.fd(), 11);
            ep2.add(b.fd(), 22);
            long[] other = new long[64]; // a larger array on the other thread: its own, bigger, event buffer
            CountDownLatch done = new CountDownLatch(1);
            Thread t = new Thread(() -> {
                if (ep2.wait(other, 5000) == 1) done.countDown();
            });
            t.start();
            a.signal();
            long[] mine = new long[1];
            assertThat(ep1.wait(mine, 5000)).isEqualTo(1);
            b.signal();
            assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
            t.join();
            assertThat(mine[0]).isEqualTo(11);
            assertThat(other[0]).isEqualTo(22);
        }
    }

    @Test
    void signalDrainAndWaitAllocateNothingInSteadyState() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (EventFd kick = EventFd.create(); Epoll ep = Epoll.create()) {
            ep.add(kick.fd(), 3);
            long[] tokens = new long[64];
            for (int i = 0; i < 20_000; i++) roundTrip(kick, ep, tokens); // buffers made, code warm
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 10_000; i++) roundTrip(kick, ep, tokens);
            long bytes = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(bytes).as("bytes allocated by 10000 signal/wait/drain round trips").isLessThan(10_000);
        }
    }

    private static void roundTrip(EventFd kick, Epoll ep, long[] tokens) {
        kick.signal();
        if (ep.wait(tokens, 1000) != 1 || tokens[0] != 3 || kick.drain() != 1) throw new AssertionError("lost a signal");
    }
}

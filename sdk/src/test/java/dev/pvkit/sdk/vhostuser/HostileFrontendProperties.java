package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.VhostUserFrontend;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.os.FdCount;
import dev.pvkit.sdk.os.Memfd;
import dev.pvkit.sdk.os.UnixSocket;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A front-end may send anything: random message streams, corrupted headers, wrong sizes and descriptor counts,
 * overlapping or out-of-range memory regions, hostile ring addresses. Whatever it sends, the back-end does not
 * crash or hang, leaks no descriptor, and then serves a well-behaved connection. One back-end serves all tries.
 */
class HostileFrontendProperties {

    static final long USER_BASE = 0x7000_0000_0000L;
    static final int[] REQUESTS;
    static Path dir;
    static VhostUserBackend backend;
    static int baselineFds;
    static final AtomicLong tries = new AtomicLong();
    static final AtomicLong rejected = new AtomicLong();
    static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hostile-watchdog");
        t.setDaemon(true);
        return t;
    });

    static {
        List<Integer> ids = new ArrayList<>();
        for (FrontendRequest r : FrontendRequest.values()) ids.add(r.id());
        ids.addAll(List.of(0, 19, 22, 35, 41, 44, 99, -1));   // unknown or unimplemented ids
        REQUESTS = ids.stream().mapToInt(Integer::intValue).toArray();
    }

    @BeforeContainer
    static void serve() throws IOException {
        dir = Files.createTempDirectory("pvkit-hostile");
        backend = VhostUserBackend.serve(new EchoDevice(), dir.resolve("hostile.sock"),
                VhostUserBackend.Options.defaults().withObserver(new dev.pvkit.sdk.observe.BackendObserver() {
                    @Override
                    public void messageRejected(String request, String rule, String detail, String answer) {
                        rejected.incrementAndGet();
                    }
                }));
        wellBehavedSession(true);
        baselineFds = FdCount.open();
    }

    @AfterContainer
    static void stop() throws IOException {
        backend.close();
        Files.deleteIfExists(dir);
        System.out.println("hostile front-end: " + tries.get() + " tries, " + rejected.get() + " messages rejected, "
                + backend.sessions() + " sessions served");
    }

    /** One message of a hostile stream: which request, which flags, and a seed that shapes its body and fds. */
    record Action(int request, int flags, int sizeSkew, int extraFds, long seed) {
    }

    @Provide
    Arbitrary<List<Action>> streams() {
        Arbitrary<Integer> request = Arbitraries.of(java.util.Arrays.stream(REQUESTS).boxed().toList());
        Arbitrary<Integer> flags = Arbitraries.oneOf(
                Arbitraries.of(Message.VERSION, Message.VERSION | Message.NEED_REPLY),
                Arbitraries.of(0, 2, 3, Message.VERSION | Message.REPLY, Message.VERSION | 0x10),
                Arbitraries.integers());
        Arbitrary<Integer> sizeSkew = Arbitraries.oneOf(Arbitraries.just(0), Arbitraries.just(0), Arbitraries.integers().between(-12, 12),
                Arbitraries.of(5000, 1 << 20));
        Arbitrary<Integer> extraFds = Arbitraries.oneOf(Arbitraries.just(0), Arbitraries.just(0), Arbitraries.integers().between(-1, 3));
        return Combinators.combine(request, flags, sizeSkew, extraFds, Arbitraries.longs()).as(Action::new)
                .list().ofMinSize(1).ofMaxSize(12);
    }

    @Property(tries = 5000)
    void backendSurvivesAnyMessageStream(@ForAll("streams") List<Action> stream, @ForAll boolean negotiateFirst) {
        long n = tries.incrementAndGet();
        List<AutoCloseable> ours = new ArrayList<>();
        UnixSocket socket = UnixSocket.connect(backend.socketPath());
        ScheduledFuture<?> dog = WATCHDOG.schedule(socket::shutdown, 10, TimeUnit.SECONDS);
        try {
            MessageChannel ch = new MessageChannel(socket);
            if (negotiateFirst) {
                ch.send(FrontendRequest.SET_PROTOCOL_FEATURES.id(), Message.VERSION, MessageChannel.u64(ProtocolFeatures.OFFERED));
            }
            for (Action a : stream) {
                if (!send(ch, socket, a, ours)) break;
            }
        } finally {
            socket.close();
            dog.cancel(false);
            for (AutoCloseable c : ours) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // ours to close; failures are irrelevant to the property
                }
            }
        }
        wellBehavedSession(n % 250 == 0);
        awaitFds(baselineFds);
    }

    /** Sends one hostile message; false once the back-end has hung up. */
    private static boolean send(MessageChannel ch, UnixSocket socket, Action a, List<AutoCloseable> ours) {
        Random rnd = new Random(a.seed());
        FrontendRequest r = FrontendRequest.of(a.request());
        List<Integer> fds = new ArrayList<>();
        byte[] body = body(r, rnd, fds, ours);
        int size = Math.max(0, body.length + a.sizeSkew());
        if (size != body.length) body = java.util.Arrays.copyOf(body, Math.min(size, 1 << 16));
        for (int i = 0; i < a.extraFds(); i++) {
            EventFd e = EventFd.create();
            ours.add(e);
            fds.add(e.fd());
        }
        if (a.extraFds() < 0 && !fds.isEmpty()) fds.remove(fds.size() - 1);
        int[] fdArray = fds.stream().mapToInt(Integer::intValue).toArray();
        try {
            if (size != body.length) {
                // The header claims more than is sent: the back-end must wait for it or give up on close.
                ByteBuffer h = ByteBuffer.allocate(Message.HEADER_SIZE + body.length).order(ByteOrder.nativeOrder());
                h.putInt(a.request()).putInt(a.flags()).putInt(size).put(body);
                socket.send(h.array(), 0, h.capacity(), fdArray);
                return false;
            }
            ch.send(a.request(), a.flags(), body, fdArray);
            return true;
        } catch (RuntimeException e) {
            return false; // the back-end closed the connection: a legitimate answer
        }
    }

    /** A body of the right shape for {@code r} with hostile values; descriptors it needs go to {@code fds}. */
    private static byte[] body(FrontendRequest r, Random rnd, List<Integer> fds, List<AutoCloseable> ours) {
        if (r == null) return randomBytes(rnd, rnd.nextInt(64));
        ByteBuffer b;
        switch (r.payload) {
            case NONE -> {
                b = ByteBuffer.allocate(0);
                if (r.fds == FrontendRequest.Fds.ONE) fds.add(eventFd(ours));
            }
            case U64 -> {
                b = buf(8);
                long v = switch (r) {
                    case SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR -> pick(rnd, 0, 1, 3, 4, 255, rnd.nextInt())
                            | (rnd.nextBoolean() ? Bodies.VRING_NOFD : 0);
                    case SET_FEATURES -> rnd.nextBoolean() ? new EchoDevice().features() : rnd.nextLong();
                    default -> rnd.nextLong();
                };
                b.putLong(v);
                if (r.fds == FrontendRequest.Fds.UNLESS_NOFD && (v & Bodies.VRING_NOFD) == 0) fds.add(eventFd(ours));
            }
            case VRING_STATE -> b = buf(8).putInt((int) pick(rnd, 0, 1, 3, 4, 255, -1, rnd.nextInt()))
                    .putInt((int) pick(rnd, 0, 1, 8, 64, 256, 3, 65536, -1, rnd.nextInt()));
            case VRING_ADDR -> b = buf(40).putInt((int) pick(rnd, 0, 1, 3, 4, -1)).putInt(rnd.nextInt(3))
                    .putLong(ringAddress(rnd)).putLong(ringAddress(rnd)).putLong(ringAddress(rnd)).putLong(rnd.nextLong());
            case MEM_TABLE -> {
                int n = (int) pick(rnd, 1, 1, 2, 3, 0, 9);
                b = buf(8 + 32 * Math.max(n, 0)).putInt(n).putInt(0);
                for (int i = 0; i < n; i++) {
                    region(b, rnd, i);
                    fds.add(memFd(rnd, ours));
                }
            }
            case SINGLE_REGION -> {
                b = buf(40).putLong(0);
                region(b, rnd, rnd.nextInt(3));
                if (r.fds == FrontendRequest.Fds.ONE || rnd.nextBoolean()) fds.add(memFd(rnd, ours));
            }
            case CONFIG -> {
                int size = (int) pick(rnd, 0, 4, 8, 256, 1, 3);
                b = buf(12 + size).putInt((int) pick(rnd, 0, 4, 8, -1, rnd.nextInt())).putInt(size).putInt(rnd.nextInt(3))
                        .put(randomBytes(rnd, size));
            }
            case LOG -> {
                b = buf(16).putLong(pick(rnd, 4096, 0, -1, Long.MAX_VALUE, 1L << 40)).putLong(pick(rnd, 0, 4096, Long.MAX_VALUE, -4096));
                fds.add(memFd(rnd, ours));
            }
            case INFLIGHT -> {
                b = buf(24).put(randomBytes(rnd, 24));
                if (r.fds == FrontendRequest.Fds.ONE) fds.add(memFd(rnd, ours));
            }
            default -> throw new IllegalStateException(r.payload.name());
        }
        return b.array();
    }

    private static void region(ByteBuffer b, Random rnd, int i) {
        b.putLong(pick(rnd, 0, 0x100000L * i, 0x1000, -4096, Long.MAX_VALUE - 10, 0x10_0000_0000L))      // guest-physical
                .putLong(pick(rnd, 0x10000, 0x10000, 0x100000, 0, -1, 1L << 40, 4096))                   // size
                .putLong(pick(rnd, USER_BASE + 0x1000000L * i, USER_BASE, -4096, 0, USER_BASE + 0x800))    // user address
                .putLong(pick(rnd, 0, 0, 4096, -1, Long.MAX_VALUE));                                        // mmap offset
    }

    private static long ringAddress(Random rnd) {
        return pick(rnd, USER_BASE, USER_BASE + 0x1000, USER_BASE + 0x8000, USER_BASE + 0xfff8, USER_BASE + 0x3, 0,
                -1, USER_BASE + 0x1000000L, rnd.nextLong());
    }

    private static int eventFd(List<AutoCloseable> ours) {
        EventFd e = EventFd.create();
        ours.add(e);
        return e.fd();
    }

    private static int memFd(Random rnd, List<AutoCloseable> ours) {
        Memfd m = Memfd.create("hostile", pick(rnd, 0x10000, 0x10000, 0x100000, 4096));
        ours.add(m);
        return m.fd();
    }

    private static long pick(Random rnd, long... values) {
        return values[rnd.nextInt(values.length)];
    }

    private static byte[] randomBytes(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    private static ByteBuffer buf(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.nativeOrder());
    }

    /**
     * A correct front-end is served after whatever came before: it negotiates, and (when {@code io}) sets up a
     * ring and gets a request processed. A watchdog turns a hang into a failure.
     */
    static void wellBehavedSession(boolean io) {
        wellBehavedSession(backend.socketPath(), io);
    }

    /** {@link #wellBehavedSession(boolean)} with I/O, against the back-end at {@code socket}. */
    static void wellBehavedSession(Path socket) {
        wellBehavedSession(socket, true);
    }

    static void wellBehavedSession(Path socket, boolean io) {
        if (!io) {
            try (VhostUserFrontend fe = VhostUserFrontend.connect(socket)) {
                ScheduledFuture<?> dog = WATCHDOG.schedule(fe::close, 10, TimeUnit.SECONDS);
                assertThat(fe.getFeatures()).as("back-end answers after a hostile session").isEqualTo(
                        new EchoDevice().features() | VirtioFeatures.bit(ProtocolFeatures.F_PROTOCOL_FEATURES)
                                | VirtioFeatures.bit(ProtocolFeatures.F_LOG_ALL));
                assertThat(fe.getProtocolFeatures()).isEqualTo(ProtocolFeatures.OFFERED);
                dog.cancel(false);
            }
            return;
        }
        try (OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(0x100000, 4 << 20)));
             VirtioFrontend fe = VirtioFrontend.start(socket, guest,
                     VirtioFeatures.bit(VirtioFeatures.VERSION_1), ProtocolFeatures.OFFERED)) {
            FrontendQueue q = fe.addQueue(0, 16, 0x100000, IndirectArea.NONE);
            fe.memory().write(0x200000, new byte[]{1, 2, 3, 4}, 0, 4);
            int id = q.post(List.of(new Segment(0x200000, 4)), List.of(new Segment(0x201000, 4)), false);
            q.publishAndKick();
            assertThat(q.awaitUsed(1, Duration.ofSeconds(10))).containsExactly(new DriverQueue.Used(id, 4));
        }
    }

    /** The back-end closes a session's descriptors when the session ends, on its own thread: wait a little. */
    static void awaitFds(int expected) {
        await().atMost(Duration.ofSeconds(5)).pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                .untilAsserted(() -> assertThat(FdCount.open()).as("open descriptors after the session (baseline %d)", expected)
                        .isLessThanOrEqualTo(expected));
    }
}

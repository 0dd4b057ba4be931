package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.frontend.FrontendException;
import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.SingleFileGuest;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.os.FdCount;
import dev.pvkit.sdk.os.Memfd;
import dev.pvkit.sdk.os.NativeCallException;
import dev.pvkit.sdk.os.SocketClosedException;
import dev.pvkit.sdk.os.Syscalls;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Segment;
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
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A front-end that sets up correctly — memory in four regions, two to four running rings doing I/O, REPLY_ACK in
 * some tries and not in others, an inflight area in some, split or packed rings, one ring kept busy by a thread in
 * some — and then reconfigures while the rings run: memory tables, regions added and removed that keep, move,
 * misalign or drop the rings and the buffers in flight; SET_VRING_* and GET_VRING_BASE on running rings, rings
 * restarted; the dirty log and LOG_ALL; inflight areas; RESET_DEVICE, SET_STATUS, RESET_OWNER — interleaved with
 * I/O. Whatever it does, the back-end does not crash (a crash fails the fork) or hang (a watchdog), answers each
 * message with a success or failure status or closes the connection, leaks no descriptor, and then serves a
 * well-behaved session on the same back-end, I/O included. One back-end, two workers, serves all tries.
 */
class HostileReconfigurationProperties {

    static final long MiB = 1 << 20;
    /** Guest-physical address of each of the four 1 MiB regions of the guest's one memfd (region i at file offset i MiB). */
    static final long[] PART = {0x100000L, 0x1000_0000L, 0x2000_0000L, 0x3000_0000L};
    static final int QUEUE_SIZE = 16;
    static final long BASE_FEATURES = VirtioFeatures.bit(VirtioFeatures.VERSION_1);

    static Path dir;
    static VhostUserBackend backend;
    static int baselineFds;
    static final AtomicLong tries = new AtomicLong();
    static final AtomicLong replyAckTries = new AtomicLong();
    static final AtomicLong messages = new AtomicLong();
    static final AtomicLong refused = new AtomicLong();
    static final AtomicLong closedEarly = new AtomicLong();
    static final AtomicLong served = new AtomicLong();
    static final AtomicLong rejected = new AtomicLong();

    @BeforeContainer
    static void serve() throws IOException {
        dir = Files.createTempDirectory("pvkit-reconfigure");
        backend = VhostUserBackend.serve(new EchoDevice(), dir.resolve("reconfigure.sock"),
                VhostUserBackend.Options.defaults().withWorkers(2).withObserver(new BackendObserver() {
                    @Override
                    public void messageRejected(String request, String rule, String detail, String answer) {
                        rejected.incrementAndGet();
                    }
                }));
        HostileFrontendProperties.wellBehavedSession(backend.socketPath());
        baselineFds = FdCount.open();
    }

    @AfterContainer
    static void stop() throws IOException {
        backend.close();
        Files.deleteIfExists(dir);
        System.out.println("hostile reconfiguration: " + tries.get() + " tries (" + replyAckTries.get() + " with REPLY_ACK), "
                + messages.get() + " reconfiguration messages, " + refused.get() + " answered with failure, "
                + closedEarly.get() + " connections closed by the back-end, " + rejected.get() + " rejections logged, "
                + served.get() + " requests served during reconfiguration, " + backend.sessions() + " sessions served");
    }

    // ---------------------------------------------------------------- what a try does

    /** How a try sets up: which acknowledgements, ring format and extras; the queues run in regions 0..queues-1. */
    record Setup(boolean replyAck, boolean packed, boolean inflight, boolean busy, int queues) {
    }

    /** How a region is described in a memory message: as shared, or changed so it keeps, moves or drops what is in it. */
    enum Variant {
        SAME,       // as the guest shares it
        MISALIGNED, // 8 bytes higher in guest-physical space: rings translate, but misaligned
        MOVED,      // 1 GiB higher in guest-physical space: rings translate, buffers (guest-physical) do not
        HALF,       // only its first half: rings stay, buffers in the upper half drop out
        ELSEWHERE   // another front-end address: the rings in it no longer translate
    }

    record Part(int index, Variant variant) {
    }

    /** One step of the stream after the set-up. */
    sealed interface Step permits Io, MemTable, AddRegion, RemRegion, VringNum, VringAddr, VringBase, Kick, Call, Enable,
            GetBase, Restart, LogBase, LogFd, Features, GetInflight, SetInflight, ResetDevice, ResetOwner, SetStatus, GetStatus {
    }

    /** Posts {@code requests} echo requests on {@code queue} with buffers in region {@code part} (low or high half). */
    record Io(int queue, int requests, int part, boolean high, boolean await) implements Step {
    }

    record MemTable(List<Part> parts) implements Step {
    }

    record AddRegion(Part part) implements Step {
    }

    record RemRegion(Part part) implements Step {
    }

    record VringNum(int queue, int num) implements Step {
    }

    /** The ring's own addresses, or those of region {@code part} (another ring's place). */
    record VringAddr(int queue, int part) implements Step {
    }

    record VringBase(int queue, int base) implements Step {
    }

    record Kick(int queue, boolean noFd) implements Step {
    }

    record Call(int queue, boolean noFd) implements Step {
    }

    record Enable(int queue, boolean on) implements Step {
    }

    record GetBase(int queue) implements Step {
    }

    /** SET_VRING_NUM, ADDR, BASE (where GET_VRING_BASE left it), KICK and ENABLE, as a front-end restarts a ring. */
    record Restart(int queue) implements Step {
    }

    record LogBase(long bytes) implements Step {
    }

    record LogFd() implements Step {
    }

    /** SET_FEATURES again, with or without LOG_ALL (as QEMU does when migration starts and ends). */
    record Features(boolean logAll) implements Step {
    }

    record GetInflight(int queues, int queueSize) implements Step {
    }

    /** A fresh area of PVKit's size, or (when there is one) the last one GET_INFLIGHT_FD handed out. */
    record SetInflight(boolean last) implements Step {
    }

    record ResetDevice() implements Step {
    }

    record ResetOwner() implements Step {
    }

    record SetStatus(int status) implements Step {
    }

    record GetStatus() implements Step {
    }

    @Provide
    Arbitrary<Setup> setups() {
        return Combinators.combine(Arbitraries.of(true, false), Arbitraries.integers().between(0, 3).map(i -> i == 0),
                        Arbitraries.integers().between(0, 2).map(i -> i == 0), Arbitraries.integers().between(0, 3).map(i -> i == 0),
                        Arbitraries.integers().between(2, 4))
                .as(Setup::new);
    }

    @Provide
    Arbitrary<List<Step>> streams() {
        Arbitrary<Integer> queue = Arbitraries.frequency(tuple(9, 0), tuple(9, 1), tuple(5, 2), tuple(4, 3), tuple(1, 4));
        Arbitrary<Integer> part = Arbitraries.integers().between(0, 3);
        Arbitrary<Part> region = Combinators.combine(part, Arbitraries.frequency(tuple(6, Variant.SAME), tuple(2, Variant.MISALIGNED),
                tuple(1, Variant.MOVED), tuple(2, Variant.HALF), tuple(2, Variant.ELSEWHERE))).as(Part::new);
        Arbitrary<Step> io = Combinators.combine(queue, Arbitraries.integers().between(1, 4), part, Arbitraries.of(false, false, true),
                Arbitraries.of(true, false)).as(Io::new);
        Arbitrary<Step> memTable = region.list().ofMinSize(1).ofMaxSize(4).map(MemTable::new);
        Arbitrary<Step> restoreTable = Arbitraries.just(new MemTable(List.of(new Part(0, Variant.SAME), new Part(1, Variant.SAME),
                new Part(2, Variant.SAME), new Part(3, Variant.SAME))));
        return Arbitraries.frequencyOf(
                        tuple(14, io),
                        tuple(4, memTable),
                        tuple(2, restoreTable),
                        tuple(2, region.map(AddRegion::new)),
                        tuple(3, region.map(RemRegion::new)),
                        tuple(1, Combinators.combine(queue, Arbitraries.of(1, 8, 16, 3, 256, 0)).as(VringNum::new)),
                        tuple(1, Combinators.combine(queue, Arbitraries.integers().between(-1, 3)).as(VringAddr::new)),
                        tuple(1, Combinators.combine(queue, Arbitraries.of(0, 1, 5, 0xffff, 1 << 15 | 1 << 31)).as(VringBase::new)),
                        tuple(2, Combinators.combine(queue, Arbitraries.of(false, false, true)).as(Kick::new)),
                        tuple(1, Combinators.combine(queue, Arbitraries.of(false, true)).as(Call::new)),
                        tuple(2, Combinators.combine(queue, Arbitraries.of(true, false)).as(Enable::new)),
                        tuple(2, queue.map(GetBase::new)),
                        tuple(3, queue.map(Restart::new)),
                        tuple(2, Arbitraries.of(64 * 1024L, 4096L, 8L).map(LogBase::new)),
                        tuple(1, Arbitraries.just(new LogFd())),
                        tuple(2, Arbitraries.of(true, false).map(Features::new)),
                        tuple(1, Combinators.combine(Arbitraries.of(1, 2, 4), Arbitraries.of(16, 8, 256)).as(GetInflight::new)),
                        tuple(1, Arbitraries.of(true, false).map(SetInflight::new)),
                        tuple(1, Arbitraries.just(new ResetDevice())),
                        tuple(1, Arbitraries.just(new ResetOwner())),
                        tuple(1, Arbitraries.of(0, 15, 64, 0xff, 7).map(SetStatus::new)),
                        tuple(1, Arbitraries.just(new GetStatus())))
                .list().ofMinSize(1).ofMaxSize(16);
    }

    private static <T> net.jqwik.api.Tuple.Tuple2<Integer, T> tuple(int weight, T value) {
        return net.jqwik.api.Tuple.of(weight, value);
    }

    @Property(tries = 1000)
    void backendSurvivesReconfigurationWhileRingsRun(@ForAll("setups") Setup setup, @ForAll("streams") List<Step> stream)
            throws Exception {
        tries.incrementAndGet();
        if (setup.replyAck()) replyAckTries.incrementAndGet();
        AtomicBoolean dogFired = new AtomicBoolean();
        try (Try t = new Try(setup)) {
            ScheduledFuture<?> dog = HostileFrontendProperties.WATCHDOG.schedule(() -> {
                dogFired.set(true);
                t.fe.vhost().channel().socket().shutdown();
            }, 10, TimeUnit.SECONDS);
            try {
                for (Step s : stream) {
                    if (!t.step(s)) {
                        closedEarly.incrementAndGet();
                        break;
                    }
                }
            } finally {
                dog.cancel(false);
            }
        }
        assertThat(dogFired).as("the back-end answered every message within 10 s").isFalse();
        HostileFrontendProperties.wellBehavedSession(backend.socketPath());
        HostileFrontendProperties.awaitFds(baselineFds);
    }

    /** One try's front-end: the guest, the session, the rings, and everything it created and must close. */
    static final class Try implements AutoCloseable {
        final Setup setup;
        final SingleFileGuest guest;
        final VirtioFrontend fe;
        final MessageChannel ch;
        final long features;
        final FrontendQueue[] queues;
        /** The kick each ring has now: its own (null here: publishAndKick signals it), one of ours, or none (polled). */
        final EventFd[] kicks;
        final boolean[] confused;   // the driver model and the device disagree now (a reset, a restart elsewhere)
        final long[] lastBase;
        final List<AutoCloseable> ours = new ArrayList<>();
        RunningRingsReconfigurationTest.BusyRing busy;
        int lastInflightFd = -1;
        int lastInflightQueues;
        int lastInflightSize;
        int slot;

        Try(Setup setup) throws InterruptedException {
            this.setup = setup;
            List<SingleFileGuest.Part> parts = new ArrayList<>();
            for (int i = 0; i < PART.length; i++) parts.add(new SingleFileGuest.Part(PART[i], MiB, i * MiB));
            this.guest = SingleFileGuest.create("reconfigure-guest", PART.length * MiB, parts);
            long protocol = setup.replyAck() ? ProtocolFeatures.OFFERED : ProtocolFeatures.OFFERED & ~ProtocolFeatures.bits(ProtocolFeatures.REPLY_ACK);
            long wanted = BASE_FEATURES | (setup.packed() ? VirtioFeatures.bit(VirtioFeatures.RING_PACKED) : 0);
            VirtioFrontend f = null;
            try {
                f = VirtioFrontend.start(backend.socketPath(), guest.shared(), wanted, protocol);
                if (setup.inflight()) f.enableInflightTracking(setup.queues(), QUEUE_SIZE);
                this.queues = new FrontendQueue[setup.queues()];
                for (int i = 0; i < queues.length; i++) queues[i] = f.addQueue(i, QUEUE_SIZE, PART[i], IndirectArea.NONE);
            } catch (RuntimeException e) {
                if (f != null) f.close();
                guest.close();
                throw e;
            }
            this.fe = f;
            this.ch = f.vhost().channel();
            this.features = f.features();
            this.kicks = new EventFd[queues.length];
            this.confused = new boolean[queues.length];
            this.lastBase = new long[queues.length];
            if (setup.packed()) Arrays.fill(lastBase, (1L << 15) | (1L << 31));
            if (setup.busy() && !setup.packed()) {
                // The last queue is the busy thread's from now on; the driver model no longer drives it.
                int q = queues.length - 1;
                EventFd kick = own(EventFd.create());
                busy = RunningRingsReconfigurationTest.BusyRing.start(guest.memory(), queues[q], PART[q], kick);
                confused[q] = true;
                kicks[q] = kick;
                fe.vhost().setVringKick(q, kick);
            }
        }

        private <T extends AutoCloseable> T own(T c) {
            ours.add(c);
            return c;
        }

        /** Performs one step; false once the back-end has closed the connection. */
        boolean step(Step s) {
            if (s instanceof Io io) return io(io);
            if (s instanceof MemTable t) {
                List<Bodies.Region> regions = t.parts().stream().map(this::region).toList();
                int[] fds = new int[regions.size()];
                Arrays.fill(fds, fd());
                return send(FrontendRequest.SET_MEM_TABLE, new Bodies.MemoryTable(regions).encode(), fds);
            }
            if (s instanceof AddRegion a) return send(FrontendRequest.ADD_MEM_REG, new Bodies.SingleRegion(region(a.part())).encode(), fd());
            if (s instanceof RemRegion r) return send(FrontendRequest.REM_MEM_REG, new Bodies.SingleRegion(region(r.part())).encode());
            if (s instanceof VringNum n) return send(FrontendRequest.SET_VRING_NUM, new Bodies.VringState(n.queue(), n.num()).encode());
            if (s instanceof VringAddr a) return send(FrontendRequest.SET_VRING_ADDR, ringAddress(a.queue(), a.part() < 0 ? a.queue() : a.part()));
            if (s instanceof VringBase b) return send(FrontendRequest.SET_VRING_BASE, new Bodies.VringState(b.queue(), b.base()).encode());
            if (s instanceof Kick k) return kick(k.queue(), k.noFd());
            if (s instanceof Call c) {
                if (c.noFd()) return send(FrontendRequest.SET_VRING_CALL, MessageChannel.u64(c.queue() | Bodies.VRING_NOFD));
                return send(FrontendRequest.SET_VRING_CALL, MessageChannel.u64(c.queue()), own(EventFd.create()).fd());
            }
            if (s instanceof Enable e) return send(FrontendRequest.SET_VRING_ENABLE, new Bodies.VringState(e.queue(), e.on() ? 1 : 0).encode());
            if (s instanceof GetBase g) return getBase(g.queue());
            if (s instanceof Restart r) return restart(r.queue());
            if (s instanceof LogBase l) {
                Memfd log = own(Memfd.create("reconfigure-log", l.bytes()));
                return send(FrontendRequest.SET_LOG_BASE, new Bodies.Log(l.bytes(), 0).encode(), log.fd());
            }
            if (s instanceof LogFd) return send(FrontendRequest.SET_LOG_FD, new byte[0], own(EventFd.create()).fd());
            if (s instanceof Features f) {
                return send(FrontendRequest.SET_FEATURES, MessageChannel.u64(features | (f.logAll() ? VirtioFeatures.bit(ProtocolFeatures.F_LOG_ALL) : 0)));
            }
            if (s instanceof GetInflight g) return getInflight(g);
            if (s instanceof SetInflight si) return setInflight(si);
            if (s instanceof ResetDevice) return confuseAll(send(FrontendRequest.RESET_DEVICE, new byte[0]));
            if (s instanceof ResetOwner) return confuseAll(send(FrontendRequest.RESET_OWNER, new byte[0]));
            if (s instanceof SetStatus st) return send(FrontendRequest.SET_STATUS, MessageChannel.u64(st.status()));
            if (s instanceof GetStatus) return send(FrontendRequest.GET_STATUS, new byte[0]);
            throw new IllegalArgumentException(s.toString());
        }

        /** SET_VRING_ADDR's body for queue {@code q} with the ring laid out where region {@code part}'s ring is. */
        private byte[] ringAddress(int q, int part) {
            long area = PART[part % PART.length];
            return new Bodies.VringAddress(q, 0, user(area), user(area + 0xc000), user(area + 0x8000), 0).encode();
        }

        private Bodies.Region region(Part p) {
            long gpa = PART[p.index()];
            long user = guest.mapping().address() + p.index() * MiB;
            return switch (p.variant()) {
                case SAME -> new Bodies.Region(gpa, MiB, user, p.index() * MiB);
                case MISALIGNED -> new Bodies.Region(gpa + 8, MiB, user, p.index() * MiB);
                case MOVED -> new Bodies.Region(gpa + 0x4000_0000L, MiB, user, p.index() * MiB);
                case HALF -> new Bodies.Region(gpa, MiB / 2, user, p.index() * MiB);
                case ELSEWHERE -> new Bodies.Region(gpa, MiB, user + 0x1000_0000_0000L, p.index() * MiB);
            };
        }

        private int fd() {
            return guest.shared().regions().get(0).fd();
        }

        /** The front-end address of guest-physical {@code gpa} as the guest shares it. */
        private long user(long gpa) {
            return fe.user(gpa);
        }

        private boolean io(Io io) {
            int q = io.queue();
            if (q >= queues.length || confused[q]) return true;
            FrontendQueue queue = queues[q];
            long region = PART[io.part()] + (io.high() ? 0xc0000 : 0x20000) + q * 0x4000L;
            int posted = 0;
            try {
                for (int i = 0; i < io.requests() && queue.driver().canPost(1, 1, false); i++) {
                    long at = region + (slot++ % 64) * 0x100L;
                    guest.memory().write(at, new byte[]{1, 2, 3, 4}, 0, 4);
                    queue.post(List.of(new Segment(at, 4)), List.of(new Segment(at + 0x80, 4)), false);
                    posted++;
                }
                queue.publishAndKick();
                if (kicks[q] != null) kicks[q].signal();
                if (io.await() && posted > 0) {
                    try {
                        served.addAndGet(queue.awaitUsed(posted, Duration.ofMillis(5)).size());
                    } catch (FrontendException notServed) {
                        // a stopped, disabled or broken ring: nothing to wait for
                    }
                } else {
                    served.addAndGet(queue.driver().reap().size());
                }
            } catch (IllegalStateException e) {
                confused[q] = true; // the device returned what this driver model did not expect: after a reset, say
            }
            return true;
        }

        private boolean kick(int q, boolean noFd) {
            if (noFd) {
                boolean open = send(FrontendRequest.SET_VRING_KICK, MessageChannel.u64(q | Bodies.VRING_NOFD));
                if (q < kicks.length) kicks[q] = null;
                return open;
            }
            EventFd kick = own(EventFd.create());
            boolean open = send(FrontendRequest.SET_VRING_KICK, MessageChannel.u64(q), kick.fd());
            if (q < kicks.length) kicks[q] = kick;
            return open;
        }

        private boolean restart(int q) {
            long base = q < lastBase.length ? lastBase[q] : 0;
            return send(FrontendRequest.SET_VRING_NUM, new Bodies.VringState(q, QUEUE_SIZE).encode())
                    && send(FrontendRequest.SET_VRING_ADDR, ringAddress(q, q))
                    && send(FrontendRequest.SET_VRING_BASE, new Bodies.VringState(q, (int) base).encode())
                    && kick(q, false)
                    && send(FrontendRequest.SET_VRING_ENABLE, new Bodies.VringState(q, 1).encode());
        }

        private boolean confuseAll(boolean open) {
            Arrays.fill(confused, true);
            return open;
        }

        private boolean getBase(int q) {
            Message reply = call(FrontendRequest.GET_VRING_BASE, new Bodies.VringState(q, 0).encode());
            if (reply == null) return false;
            try (reply) {
                assertThat(reply.payload()).as("GET_VRING_BASE reply").hasSize(8);
                if (q < lastBase.length) {
                    lastBase[q] = Integer.toUnsignedLong(ByteBuffer.wrap(reply.payload()).order(ByteOrder.nativeOrder()).getInt(4));
                }
            }
            return true;
        }

        private boolean getInflight(GetInflight g) {
            Message reply = call(FrontendRequest.GET_INFLIGHT_FD, new Bodies.Inflight(0, 0, g.queues(), g.queueSize()).encode());
            if (reply == null) return false;
            try (reply) {
                assertThat(reply.payload()).as("GET_INFLIGHT_FD reply").hasSize(24);
                assertThat(reply.attachedFds()).as("GET_INFLIGHT_FD descriptors").isEqualTo(1);
                int fd = reply.takeFd(0);
                own(() -> Syscalls.closeQuietly(fd));
                lastInflightFd = fd;
                lastInflightQueues = g.queues();
                lastInflightSize = g.queueSize();
            }
            return true;
        }

        private boolean setInflight(SetInflight s) {
            if (s.last() && lastInflightFd >= 0) {
                return send(FrontendRequest.SET_INFLIGHT_FD, new Bodies.Inflight(InflightArea.bytes(lastInflightQueues, lastInflightSize), 0,
                        lastInflightQueues, lastInflightSize).encode(), lastInflightFd);
            }
            long size = InflightArea.bytes(queues.length, QUEUE_SIZE);
            Memfd area = own(Memfd.create("reconfigure-inflight", size));
            return send(FrontendRequest.SET_INFLIGHT_FD, new Bodies.Inflight(size, 0, queues.length, QUEUE_SIZE).encode(), area.fd());
        }

        /**
         * Sends a request without a reply body; with REPLY_ACK it asks for a status, which must be 0 or 1. False
         * once the back-end has closed the connection.
         */
        private boolean send(FrontendRequest r, byte[] body, int... fds) {
            if (r.hasReply) {
                Message reply = call(r, body, fds);
                if (reply == null) return false;
                try (reply) {
                    if (r == FrontendRequest.SET_LOG_BASE || r == FrontendRequest.GET_STATUS) assertThat(reply.payload()).as(r + " reply").hasSize(8);
                    if (r == FrontendRequest.SET_LOG_BASE) status(r, reply);
                }
                return true;
            }
            messages.incrementAndGet();
            try {
                ch.send(r.id(), Message.VERSION | (setup.replyAck() ? Message.NEED_REPLY : 0), body, fds);
            } catch (NativeCallException | SocketClosedException e) {
                return false;
            }
            if (!setup.replyAck()) return true;
            Message reply = readReply(r);
            if (reply == null) return false;
            try (reply) {
                status(r, reply);
            }
            return true;
        }

        private void status(FrontendRequest r, Message reply) {
            assertThat(reply.payload()).as(r + " status").hasSize(8);
            long status = ByteBuffer.wrap(reply.payload()).order(ByteOrder.nativeOrder()).getLong(0);
            assertThat(status).as(r + " status").isIn(0L, 1L);
            if (status != 0) refused.incrementAndGet();
        }

        /** Sends a request with a reply body; the reply, or null once the back-end has closed the connection. */
        private Message call(FrontendRequest r, byte[] body, int... fds) {
            messages.incrementAndGet();
            try {
                ch.send(r.id(), Message.VERSION, body, fds);
            } catch (NativeCallException | SocketClosedException e) {
                return null;
            }
            return readReply(r);
        }

        private Message readReply(FrontendRequest r) {
            Message reply;
            try {
                reply = ch.readReply();
            } catch (NativeCallException | SocketClosedException e) {
                return null;
            } catch (ProtocolViolation v) {
                // A connection reset while reading (the back-end closed with requests unread) is a close too;
                // anything else is a malformed reply.
                if (v.request().equals("(read)") && v.rule() == VhostUserRule.CONNECTION) return null;
                throw v;
            }
            if (reply == null) return null;
            assertThat(reply.requestId()).as("reply to " + r).isEqualTo(r.id());
            assertThat(reply.flags() & (Message.VERSION_MASK | Message.REPLY)).as(r + " reply flags").isEqualTo(Message.VERSION | Message.REPLY);
            return reply;
        }

        @Override
        public void close() throws Exception {
            try {
                if (busy != null) busy.close();
            } finally {
                fe.close();
                guest.close();
                for (AutoCloseable c : ours) c.close();
            }
        }
    }
}

package dev.pvkit.sdk.os;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.Set;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(30)
class UnixSocketTest {

    @TempDir
    Path dir;

    @Test
    void bytesAndDescriptorsRoundTripOverASocketPair() {
        UnixSocket[] pair = UnixSocket.pair();
        try (UnixSocket a = pair[0]; UnixSocket b = pair[1]) {
            assertSharedMemoryAndDoorbellCross(a, b);
        }
    }

    @Test
    void bytesAndDescriptorsRoundTripOverABoundServerSocket() throws Exception {
        Path path = dir.resolve("backend.sock");
        try (UnixServerSocket server = UnixServerSocket.bind(path)) {
            assertThat(server.path()).isEqualTo(path);
            assertThat(Files.getPosixFilePermissions(path))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            try (UnixSocket client = UnixSocket.connect(path); UnixSocket served = server.accept()) {
                assertSharedMemoryAndDoorbellCross(client, served);
                assertSharedMemoryAndDoorbellCross(served, client);
            }
        }
        assertThat(path).doesNotExist();
    }

    /** A memfd mapped on both sides shows the same bytes; an eventfd signalled on one side is drained on the other. */
    private static void assertSharedMemoryAndDoorbellCross(UnixSocket sender, UnixSocket receiver) {
        try (Memfd memfd = Memfd.create("shared", 4096); MappedMemory mine = memfd.map(); EventFd bell = EventFd.create()) {
            byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
            sender.send(hello, 0, hello.length, new int[] {memfd.fd(), bell.fd()});

            byte[] buf = new byte[16];
            UnixSocket.Received r = receiver.receive(buf, 0, buf.length, 4);
            assertThat(r.bytes()).isEqualTo(5);
            assertThat(Arrays.copyOf(buf, 5)).isEqualTo(hello);
            assertThat(r.controlTruncated()).isFalse();
            assertThat(r.fds()).hasSize(2).doesNotContain(memfd.fd(), bell.fd());

            try (MappedMemory theirs = MappedMemory.shared(r.fds()[0], 0, 4096); EventFd theirBell = EventFd.adopt(r.fds()[1])) {
                Syscalls.close(r.fds()[0]); // the mapping outlives the descriptor
                mine.chunkAt(0).putLong(4088, 0x1122334455667788L);
                assertThat(theirs.chunkAt(0).getLong(4088)).isEqualTo(0x1122334455667788L);

                assertThat(theirBell.drain()).isZero();
                bell.signal();
                bell.signal();
                assertThat(theirBell.drain()).isEqualTo(2);
                theirBell.signal();
                assertThat(bell.drain()).isEqualTo(1);
            }
        }
    }

    @Test
    void largeMessagesArriveWholeThroughPartialSendsAndReceives() throws Exception {
        UnixSocket[] pair = UnixSocket.pair();
        try (UnixSocket a = pair[0]; UnixSocket b = pair[1]) {
            byte[] data = new byte[4 << 20]; // far beyond the socket buffer: sendmsg returns partial counts
            for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 31 + (i >>> 11));
            FutureTask<Void> sending = async(() -> {
                a.send(data, 0, data.length, null);
                return null;
            });
            byte[] got = new byte[data.length];
            b.receiveFully(got, 0, got.length);
            sending.get(10, TimeUnit.SECONDS);
            assertThat(got).isEqualTo(data);
        }
    }

    @Test
    void tooManyDescriptorsAreReportedAndTheExtraOnesNeverLeak() {
        // Descriptors are told apart by what they are (an eventfd whose counter holds a marker), not by count or
        // number: other threads of this JVM (a process reaper, say) close descriptors meanwhile, and numbers are reused.
        UnixSocket[] pair = UnixSocket.pair();
        EventFd[] sent = {marked(101), marked(102), marked(103)};
        try (UnixSocket a = pair[0]; UnixSocket b = pair[1]) {
            a.send(new byte[] {42}, 0, 1, Arrays.stream(sent).mapToInt(EventFd::fd).toArray());
            UnixSocket.Received r = b.receive(new byte[8], 0, 8, 1);
            assertThat(r.bytes()).isEqualTo(1);
            assertThat(r.controlTruncated()).isTrue();
            assertThat(r.fds()).hasSize(1);
            assertThat(eventFdCounter(r.fds()[0])).as("the descriptor that fitted is the first one sent").isEqualTo(101);
            assertThat(openEventFdsCounting(101)).as("the first, sent and received").isEqualTo(2);
            assertThat(openEventFdsCounting(102) + openEventFdsCounting(103)).as("the kernel dropped the two that did not fit")
                    .isEqualTo(2);
            Syscalls.close(r.fds()[0]);
            assertThat(openEventFdsCounting(101)).isEqualTo(1);
        } finally {
            for (EventFd e : sent) e.close();
        }
    }

    @Test
    void descriptorsArrivingDuringReceiveFullyAreDiscarded() {
        UnixSocket[] pair = UnixSocket.pair();
        try (UnixSocket a = pair[0]; UnixSocket b = pair[1]; EventFd unexpected = marked(104)) {
            byte[] got = new byte[4];
            a.send(new byte[] {1, 2, 3, 4}, 0, 4, new int[] {unexpected.fd()});
            b.receiveFully(got, 0, 4);
            assertThat(got).containsExactly(1, 2, 3, 4);
            assertThat(openEventFdsCounting(104)).as("only the sender's copy is open").isEqualTo(1);
        }
    }

    /** An eventfd whose counter holds {@code marker}: its copies can be found in /proc/self/fdinfo. */
    private static EventFd marked(int marker) {
        EventFd e = EventFd.create();
        for (int i = 0; i < marker; i++) e.signal();
        return e;
    }

    /** The counter of eventfd {@code fd}, as /proc/self/fdinfo shows it (hex); -1 if it is no eventfd or closed. */
    private static long eventFdCounter(int fd) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
                if (line.startsWith("eventfd-count:")) return Long.parseLong(line.substring(14).trim(), 16);
            }
        } catch (IOException e) {
            // closed meanwhile (or never an eventfd): not one of ours
        }
        return -1;
    }

    private static long openEventFdsCounting(long marker) {
        String[] fds = new File("/proc/self/fd").list();
        assertThat(fds).isNotNull();
        return Arrays.stream(fds).mapToInt(Integer::parseInt).filter(fd -> eventFdCounter(fd) == marker).count();
    }

    @Test
    void receiveAfterPeerCloseReportsEndOfStream() {
        UnixSocket[] pair = UnixSocket.pair();
        try (UnixSocket b = pair[1]) {
            pair[0].send(new byte[] {7}, 0, 1, null);
            pair[0].close();
            pair[0].close(); // idempotent
            assertThatThrownBy(() -> b.receiveFully(new byte[2], 0, 2))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasCauseInstanceOf(EOFException.class);
            UnixSocket.Received r = b.receive(new byte[8], 0, 8, 4);
            assertThat(r.bytes()).isZero();
            assertThat(r.fds()).isEmpty();
            assertThatThrownBy(() -> pair[0].send(new byte[] {1}, 0, 1, null)).isInstanceOf(SocketClosedException.class);
        }
    }

    @Test
    void sendToAClosedPeerFailsNamingSendmsgWithoutSigpipe() {
        UnixSocket[] pair = UnixSocket.pair();
        pair[1].close();
        try (UnixSocket a = pair[0]) {
            assertThatThrownBy(() -> a.send(new byte[] {1}, 0, 1, null))
                    .isInstanceOfSatisfying(NativeCallException.class, e -> {
                        assertThat(e.call()).isEqualTo("sendmsg");
                        assertThat(e.errno()).isEqualTo(32); // EPIPE, reported instead of killing the JVM
                    });
        }
    }

    @Test
    void shutdownFromAnotherThreadWakesABlockedReceive() throws Exception {
        UnixSocket[] pair = UnixSocket.pair();
        try (UnixSocket a = pair[0]; UnixSocket b = pair[1]) {
            FutureTask<UnixSocket.Received> receiving = async(() -> b.receive(new byte[8], 0, 8, 4));
            // Not a wait for a condition: time for the other thread to block in recvmsg, which cannot be observed.
            Thread.sleep(200);
            assertThat(receiving.isDone()).isFalse();
            b.shutdown();
            assertThat(receiving.get(5, TimeUnit.SECONDS).bytes()).isZero();
            assertThat(a.receive(new byte[8], 0, 8, 0).bytes()).isZero(); // the peer sees end of stream too
        }
    }

    @Test
    void closeFromAnotherThreadWakesABlockedReceive() throws Exception {
        UnixSocket[] pair = UnixSocket.pair();
        try (UnixSocket a = pair[0]) {
            UnixSocket b = pair[1];
            FutureTask<UnixSocket.Received> receiving = async(() -> b.receive(new byte[8], 0, 8, 4));
            Thread.sleep(200);                              // time to block in recvmsg, as above
            b.close();
            assertThat(receiving.get(5, TimeUnit.SECONDS).bytes()).isZero();
            assertThat(a.receive(new byte[8], 0, 8, 0).bytes()).isZero();
        }
    }

    @Test
    void closingTheServerWakesABlockedAccept() throws Exception {
        Path path = dir.resolve("s.sock");
        UnixServerSocket server = UnixServerSocket.bind(path);
        FutureTask<UnixSocket> accepting = async(server::accept);
        Thread.sleep(200);                                  // time to block in accept, as above
        assertThat(accepting.isDone()).isFalse();
        server.close();
        assertThatThrownBy(() -> accepting.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(SocketClosedException.class);
        assertThat(path).doesNotExist();
        server.close(); // idempotent
        assertThatThrownBy(server::accept).isInstanceOf(SocketClosedException.class);
    }

    @Test
    void bindReplacesAStaleSocketFileButNothingElse() throws Exception {
        Path stale = dir.resolve("stale.sock");
        try (ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            old.bind(UnixDomainSocketAddress.of(stale)); // the JDK leaves the file behind on close
        }
        assertThat(stale).exists();
        try (UnixServerSocket server = UnixServerSocket.bind(stale);
             UnixSocket client = UnixSocket.connect(stale);
             UnixSocket served = server.accept()) {
            client.send(new byte[] {5}, 0, 1, null);
            byte[] got = new byte[1];
            served.receiveFully(got, 0, 1);
            assertThat(got).containsExactly(5);
        }
        assertThat(stale).doesNotExist();

        Path regular = Files.writeString(dir.resolve("notes.txt"), "keep me");
        assertThatThrownBy(() -> UnixServerSocket.bind(regular))
                .isInstanceOfSatisfying(NativeCallException.class, e -> assertThat(e.call()).isEqualTo("bind"))
                .hasMessageContaining(regular.toString());
        assertThat(Files.readString(regular)).isEqualTo("keep me");
    }

    @Test
    void epollReportsTheTokenOfASignalledEventFdAndTimesOutOtherwise() {
        try (Epoll epoll = Epoll.create(); EventFd first = EventFd.create(); EventFd second = EventFd.create()) {
            long firstToken = 7;
            long secondToken = 0x8123_4567_89ab_cdefL; // all 64 bits survive the packed layout
            epoll.add(first.fd(), firstToken);
            epoll.add(second.fd(), secondToken);
            long[] tokens = new long[4];

            assertThat(epoll.wait(tokens, 50)).isZero();

            second.signal();
            assertThat(epoll.wait(tokens, 1000)).isEqualTo(1);
            assertThat(tokens[0]).isEqualTo(secondToken);
            assertThat(second.drain()).isEqualTo(1);
            assertThat(epoll.wait(tokens, 0)).isZero();

            first.signal();
            second.signal();
            assertThat(epoll.wait(tokens, 1000)).isEqualTo(2);
            assertThat(Arrays.copyOf(tokens, 2)).containsExactlyInAnyOrder(firstToken, secondToken);

            epoll.remove(first.fd());
            epoll.remove(second.fd());
            assertThat(epoll.wait(tokens, 20)).isZero();
            assertThatThrownBy(() -> epoll.remove(first.fd()))
                    .isInstanceOfSatisfying(NativeCallException.class, e -> assertThat(e.call()).isEqualTo("epoll_ctl"));
        }
    }

    @Test
    void failuresNameTheCallAndThePath() {
        Path missing = dir.resolve("nobody-listens.sock");
        Set<Integer> before = FdCount.snapshot();
        assertThatThrownBy(() -> UnixSocket.connect(missing))
                .isInstanceOfSatisfying(NativeCallException.class, e -> {
                    assertThat(e.call()).isEqualTo("connect");
                    assertThat(e.errno()).isEqualTo(2); // ENOENT
                })
                .hasMessageContaining(missing.toString());
        assertThat(FdCount.openedSince(before)).as("the socket made for the attempt was closed").isEmpty();

        assertThatThrownBy(() -> UnixSocket.connect(dir.resolve("x".repeat(120))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("longer than 107 bytes");
    }

    private static <T> FutureTask<T> async(Callable<T> work) {
        FutureTask<T> task = new FutureTask<>(work);
        Thread t = new Thread(task, "unix-socket-test");
        t.setDaemon(true);
        t.start();
        return task;
    }
}

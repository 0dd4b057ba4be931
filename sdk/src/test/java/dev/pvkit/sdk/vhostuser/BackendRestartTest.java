package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Kill -9 of a back-end process with requests in flight, a new back-end on the same socket, and the front-end
 * reconnecting with its inflight area: every request is completed exactly once.
 */
class BackendRestartTest {

    static final Duration WAIT = Duration.ofSeconds(20);
    @TempDir
    Path dir;
    final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killAll() throws InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Starts a back-end JVM; returns its stdout lines as they come. */
    BlockingQueue<String> start(Path socket, long stallMillis) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                InflightBackendMain.class.getName(), socket.toString(), Long.toString(stallMillis))
                .redirectError(dir.resolve("backend-" + processes.size() + ".err").toFile())
                .start();
        processes.add(p);
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) lines.add(line);
            } catch (IOException ignored) {
                // the process died: that is the point of this test
            }
        });
        reader.setDaemon(true);
        reader.start();
        awaitLine(lines, "READY");
        return lines;
    }

    /** Each poll takes the back-end's next line (waiting up to 100 ms for one): the lines before the one awaited are skipped. */
    static String awaitLine(BlockingQueue<String> lines, String prefix) {
        return await("the back-end printing " + prefix).atMost(WAIT).pollInSameThread().pollDelay(Duration.ZERO)
                .pollInterval(Duration.ZERO).until(() -> lines.poll(100, TimeUnit.MILLISECONDS), l -> l != null && l.startsWith(prefix));
    }

    @Test
    void requestsInFlightAtAKillAreCompletedExactlyOnceAfterRestart() throws Exception {
        killAndRestart(false, false);
    }

    /**
     * The restarted back-end gets a new memory table after it recovered the rings but before they are enabled, so
     * before it served what it recovered. The rings are rebuilt on the new map; the recovered request, taken once
     * already, once got lost there: never completed, the driver waited for it forever.
     */
    @Test
    void requestsRecoveredBeforeANewMemoryTableAreStillCompleted() throws Exception {
        killAndRestart(false, true);
    }

    @Test
    void packedListsRecoveredBeforeANewMemoryTableAreStillCompleted() throws Exception {
        killAndRestart(true, true);
    }

    /**
     * The same on a packed ring, with multi-descriptor and indirect lists: the stalled list is resubmitted from the
     * copy in the inflight area, the available position resumes after it, and the lists behind it are taken from
     * the ring. (Out-of-order completion overwriting a stalled list's slots is covered by
     * {@link PackedInflightRecoveryTest}: the session completes one queue's requests in order.)
     */
    @Test
    void packedRequestsInFlightAtAKillAreCompletedExactlyOnceAfterRestart() throws Exception {
        killAndRestart(true, false);
    }

    private void killAndRestart(boolean packed, boolean remapBeforeEnable) throws Exception {
        Path socket = dir.resolve("restart.sock");
        BlockingQueue<String> first = start(socket, 600_000);
        long features = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.EVENT_IDX)
                | (packed ? VirtioFeatures.bit(VirtioFeatures.RING_PACKED) | VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC) : 0);
        try (OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(0x100000, 8 << 20)));
             VirtioFrontend fe = VirtioFrontend.start(socket, guest, features, ProtocolFeatures.OFFERED)) {
            assertThat(VirtioFeatures.has(fe.features(), VirtioFeatures.RING_PACKED)).isEqualTo(packed);
            fe.enableInflightTracking(EchoDevice.QUEUES, 64);
            FrontendQueue q = fe.addQueue(0, 64, 0x100000, packed ? new IndirectArea(0x300000, 8) : IndirectArea.NONE);

            // Fast, stalling, fast, fast: the stalling one is taken and stuck when the process dies; the two after
            // it are still in the available ring. On a packed ring the readable part comes in two descriptors, and
            // the second and fourth requests use indirect tables.
            Map<Integer, byte[]> payloads = new HashMap<>();
            String[] texts = {"fast-1", "S-stalls", "fast-2", "fast-3"};
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < texts.length; i++) {
                byte[] p = texts[i].getBytes(StandardCharsets.US_ASCII);
                long in = 0x400000 + 0x1000L * i;
                fe.memory().write(in, p, 0, p.length);
                List<Segment> readable = packed
                        ? List.of(new Segment(in, 3), new Segment(in + 3, p.length - 3))
                        : List.of(new Segment(in, p.length));
                int id = q.post(readable, List.of(new Segment(in + 0x800, 64)), packed && i % 2 == 1);
                payloads.put(id, p);
                ids.add(id);
            }
            q.publishAndKick();
            List<DriverQueue.Used> done = new ArrayList<>(q.awaitUsed(1, WAIT));
            assertThat(done).extracting(DriverQueue.Used::id).containsExactly(ids.get(0));
            assertThat(awaitLine(first, "TAKEN")).isEqualTo("TAKEN " + ids.get(1));

            processes.get(0).destroyForcibly();                  // kill -9 with one request in flight
            assertThat(processes.get(0).waitFor(10, TimeUnit.SECONDS)).isTrue();

            start(socket, 0);                                    // a new back-end on the same socket
            if (remapBeforeEnable) {
                fe.reconnect(socket, false);
                fe.vhost().setMemTable(guest);                   // the same memory, mapped anew
                fe.vhost().setVringEnable(0, true);
            } else {
                fe.reconnect(socket);
            }
            done.addAll(q.awaitUsed(3, WAIT));

            // Exactly once: each id once (the driver model would throw on a duplicate or unknown id), with its data.
            assertThat(done).extracting(DriverQueue.Used::id).containsExactlyInAnyOrderElementsOf(ids);
            for (DriverQueue.Used u : done) {
                byte[] p = payloads.get(u.id());
                assertThat(u.length()).isEqualTo(p.length);
                long in = 0x400000 + 0x1000L * ids.indexOf(u.id());
                byte[] back = new byte[p.length];
                fe.memory().read(in + 0x800, back, 0, back.length);
                for (int k = 0; k < p.length; k++) assertThat(back[k]).isEqualTo(p[p.length - 1 - k]);
            }
            assertThat(q.driver().outstanding()).isZero();
            Thread.sleep(200);
            assertThat(q.driver().reap()).as("nothing completed twice").isEmpty();

            // The restarted back-end goes on from the right positions: a new request is served normally.
            byte[] more = "after-restart".getBytes(StandardCharsets.US_ASCII);
            fe.memory().write(0x480000, more, 0, more.length);
            int id = q.post(List.of(new Segment(0x480000, more.length)), List.of(new Segment(0x480800, 64)), false);
            q.publishAndKick();
            assertThat(q.awaitUsed(1, WAIT)).extracting(DriverQueue.Used::id).containsExactly(id);
        }
        assertThat(Files.exists(socket)).isTrue();
    }
}

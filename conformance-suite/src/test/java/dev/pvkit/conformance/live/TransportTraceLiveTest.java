package dev.pvkit.conformance.live;

import dev.pvkit.backends.blk.BlkOptions;
import dev.pvkit.backends.blk.FileBlockStore;
import dev.pvkit.backends.blk.VirtioBlkDevice;
import dev.pvkit.conformance.guest.Accelerator;
import dev.pvkit.conformance.guest.GuestAgent;
import dev.pvkit.conformance.guest.QemuInstance;
import dev.pvkit.conformance.guest.QemuLauncher;
import dev.pvkit.conformance.guest.QemuOptions;
import dev.pvkit.conformance.guest.VhostUserDevice;
import dev.pvkit.conformance.observe.CommonField;
import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.conformance.observe.TransportEvent;
import dev.pvkit.conformance.observe.TransportTrace;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * QEMU's own trace of the driver's virtio-pci register accesses reaches the event log as {@link TransportEvent}s,
 * stamped with the host clock: the default guest boots on a PVKit virtio-blk disk with
 * {@link QemuOptions#transportTrace} on. SeaBIOS drives the disk first (reset, then ACKNOWLEDGE|DRIVER in one
 * write); after the kernel's banner, Linux's virtio_blk resets the device and writes ACKNOWLEDGE, DRIVER,
 * FEATURES_OK and DRIVER_OK in order.
 */
class TransportTraceLiveTest {
    private static final int DISK = 16 << 20;
    private static final String KERNEL_BANNER = "Linux version ";

    @TempDir
    Path tmp;
    private QemuInstance qemu;
    private VhostUserBackend backend;
    private FileBlockStore store;
    private Thread consoleWatcher;

    @AfterEach
    void cleanUp() throws Exception {
        if (consoleWatcher != null) consoleWatcher.interrupt();
        LiveSupport.killAndCheckGone(qemu, tmp, backend, store);
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void statusWritesOfSeaBiosThenLinuxReachTheLogInOrder() throws Exception {
        var image = LiveSupport.image();
        store = FileBlockStore.create(tmp.resolve("disk.img"), DISK);
        backend = VhostUserBackend.serve(new VirtioBlkDevice(store, BlkOptions.defaults(DISK)), tmp.resolve("blk.sock"),
                VhostUserBackend.Options.defaults());
        EventLog log = new EventLog();
        TransportTrace trace = new TransportTrace(log);
        long start = EventLog.nowMicros();
        // loglevel=6 after the template's "quiet": the kernel's banner (KERN_NOTICE) reaches the console
        qemu = QemuLauncher.launch(QemuOptions.of(image).accelerator(Accelerator.TCG).kernelArgs("loglevel=6")
                .transportTrace(trace).timeLimit(Duration.ofMinutes(3)).runDirectory(tmp.resolve("run"))
                .device(VhostUserDevice.blk(tmp.resolve("blk.sock"), 1)));
        AtomicLong kernelSeen = watchFor(qemu.consoleLog(), KERNEL_BANNER);
        try {
            GuestAgent agent = qemu.agent();
            agent.awaitReady(Duration.ofSeconds(120));
            agent.awaitDevice("vda", Duration.ofSeconds(60));
            agent.poweroff();
            assertThat(qemu.awaitExit(Duration.ofSeconds(30))).as("QEMU exit status after POWEROFF").isZero();
            long end = EventLog.nowMicros();

            // awaitExit has closed the instance: every line QEMU wrote has reached the log
            List<TransportEvent> events = log.ordered().stream().map(TransportEvent.class::cast).toList();
            System.out.printf("[live-trace] %d transport events, %d skipped lines, kernel banner at +%.3f s%n",
                    trace.parsed(), trace.skipped(), (kernelSeen.get() - start) / 1e6);
            assertThat(trace.skipped()).as("unparsed lines, first: %s", trace.firstSkipped()).isZero();
            assertThat(qemu.transportTraceDropped()).isZero();
            assertThat(events).isNotEmpty().allMatch(e -> e.device().equals("virtio-blk"));
            assertThat(events).as("QEMU's timestamps are the host's wall clock, within this run")
                    .allMatch(e -> e.micros() >= start && e.micros() <= end);
            assertThat(log.arrived()).as("one vCPU: QEMU's order is time order").isEqualTo(log.ordered());
            assertThat(kernelSeen.get()).as("the kernel's banner on the console").isPositive();

            List<TransportEvent> status = events.stream().filter(e -> e.isWriteOf(CommonField.DEVICE_STATUS)).toList();
            List<Long> values = status.stream().map(TransportEvent::value).toList();
            // Linux's session starts at its reset: the write of 0 before the first ACKNOWLEDGE written alone
            int firstAck = values.indexOf(1L);
            assertThat(firstAck).as("Linux writes ACKNOWLEDGE alone: %s", values).isPositive();
            int osReset = IntStream.rangeClosed(0, firstAck).map(i -> firstAck - i).filter(i -> values.get(i) == 0)
                    .findFirst().orElseThrow();
            List<Long> firmware = values.subList(0, osReset);
            List<Long> os = values.subList(osReset, values.size());
            assertThat(os).as("Linux's status writes").containsSubsequence(0L, 1L, 3L, 0xbL, 0xfL);
            assertThat(firmware).as("SeaBIOS's status writes come first: reset, ACKNOWLEDGE|DRIVER, ...")
                    .startsWith(0L, 3L).contains(0xbL);

            long osStart = status.get(osReset).micros();
            long firmwareEnd = events.stream().filter(e -> e.micros() < osStart).mapToLong(TransportEvent::micros).max().orElseThrow();
            assertThat(firmwareEnd).as("SeaBIOS's last access comes before the kernel's banner").isLessThan(kernelSeen.get());
            assertThat(osStart).as("Linux's reset comes after the kernel's banner").isGreaterThan(kernelSeen.get());
            System.out.printf("[live-trace] status writes: SeaBIOS %s, Linux %s; SeaBIOS's last access %.3f s before "
                    + "the banner was seen, Linux's reset %.3f s after%n", hex(firmware), hex(os),
                    (kernelSeen.get() - firmwareEnd) / 1e6, (osStart - kernelSeen.get()) / 1e6);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n" + qemu.evidence() + "\n--- transport events ---\n"
                    + String.join("\n", log.ordered().stream().map(ev -> ev.micros() + " " + ev.describe()).toList()), e);
        }
    }

    private static List<String> hex(List<Long> values) {
        return values.stream().map(v -> "0x" + Long.toHexString(v)).toList();
    }

    /** Polls the console log every 10 ms and stamps (host time, µs) when {@code text} first appears. */
    private AtomicLong watchFor(Path console, String text) {
        AtomicLong seen = new AtomicLong();
        consoleWatcher = new Thread(() -> {
            while (seen.get() == 0 && !Thread.currentThread().isInterrupted()) {
                try {
                    if (Files.exists(console) && new String(Files.readAllBytes(console), StandardCharsets.ISO_8859_1).contains(text)) {
                        seen.set(EventLog.nowMicros());
                    }
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                } catch (java.io.IOException e) {
                    // not there yet
                }
            }
        }, "console-watcher");
        consoleWatcher.setDaemon(true);
        consoleWatcher.start();
        return seen;
    }
}

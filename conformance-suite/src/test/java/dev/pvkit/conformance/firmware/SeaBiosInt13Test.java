package dev.pvkit.conformance.firmware;

import dev.pvkit.backends.blk.BlkOptions;
import dev.pvkit.backends.blk.BlockStore;
import dev.pvkit.backends.blk.ForwardingBlockStore;
import dev.pvkit.backends.blk.MemoryBlockStore;
import dev.pvkit.backends.blk.VirtioBlkDevice;
import dev.pvkit.conformance.guest.Accelerator;
import dev.pvkit.conformance.guest.QemuExit;
import dev.pvkit.conformance.guest.QemuInstance;
import dev.pvkit.conformance.guest.QemuLauncher;
import dev.pvkit.conformance.guest.QemuOptions;
import dev.pvkit.conformance.live.ByteRanges;
import dev.pvkit.conformance.live.LiveSupport;
import dev.pvkit.conformance.live.Nasm;
import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Issue #5 acceptance: SeaBIOS (the one bundled with QEMU) boots from a PVKit vhost-user-blk disk, and the boot
 * sector ({@code firmware/bootsector.asm}, assembled into {@code firmware/bootsector.bin}) reads sectors through
 * BIOS int 13h — that is, through the firmware's own virtio-blk driver talking to the PVKit back-end — and prints
 * their FNV-1a checksum on COM1. The test computes the same checksum in Java over the same bytes. Nothing is
 * mocked: real QEMU, TCG, memfd guest RAM shared with the back-end over a unix socket.
 *
 * <p>Disk layout (1 MiB): LBA 0 is the boot sector; every other sector holds seeded pseudo-random bytes, so reading
 * the wrong sectors gives a different checksum. The boot sector reads {@value #SECTORS} sectors from LBA
 * {@value #FIRST_LBA}.
 */
class SeaBiosInt13Test {
    private static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");
    private static final int DISK_BYTES = 1 << 20;
    private static final int SECTOR = 512;
    /** Must match {@code SECTORS} and {@code FIRST_LBA} in bootsector.asm. */
    private static final int SECTORS = 16;
    private static final int FIRST_LBA = 1;
    /** Offset of the boot sector's {@code force_chs} byte: 1 skips AH=41h/42h and reads with AH=02h. */
    private static final int FORCE_CHS_OFFSET = 0x1fd;
    private static final long SEED = 0x5EAB105L;
    private static final long BOOT_TIMEOUT_SECONDS = 60;
    /** isa-debug-exit turns the boot sector's {@code out 0xf4, 0x10} into exit status (0x10 << 1) | 1. */
    private static final int EXIT_CHECKSUM_PRINTED = (0x10 << 1) | 1;
    /** ... and {@code out 0xf4, 0x11} (after printing an int 13h error) into (0x11 << 1) | 1. */
    private static final int EXIT_ERROR_PRINTED = (0x11 << 1) | 1;

    @TempDir
    Path tmp;

    private QemuInstance qemu;
    private QemuExit exit;
    private VhostUserBackend backend;

    @AfterEach
    void tearDown() throws Exception {
        // Kills QEMU if it still runs, checks that none is left (no QEMU process on the machine names our temp
        // directory), then closes the back-end.
        LiveSupport.killAndCheckGone(qemu, tmp, backend);
    }

    /** The committed bytes are a boot sector, with the CHS switch off. */
    @Test
    void bootSectorResourceIsABootSector() throws IOException {
        byte[] bs = bootSector();
        assertThat(bs).hasSize(SECTOR);
        assertThat(bs[510]).isEqualTo((byte) 0x55);
        assertThat(bs[511]).isEqualTo((byte) 0xAA);
        assertThat(bs[FORCE_CHS_OFFSET]).isZero();
        assertThat(new String(bs, StandardCharsets.ISO_8859_1)).contains("PVKIT-INT13 ").contains(" sectors=" + SECTORS);
    }

    /** The back-end's defaults: packed rings offered; QEMU 7.2 (packed=off) and SeaBIOS settle on split rings. */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES) // backstop; QEMU itself gets BOOT_TIMEOUT_SECONDS
    void extendedReadWithPackedRingsOffered() throws Exception {
        Run run = boot(true, false);
        assertThat(run.serial.lines()).as(run.evidence()).contains("PVKIT-INT13 drive=80 via=42h");
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void extendedReadWithSplitRingsOnly() throws Exception {
        Run run = boot(false, false);
        assertThat(run.serial.lines()).as(run.evidence()).contains("PVKIT-INT13 drive=80 via=42h");
    }

    /** The fallback path of the boot sector: AH=08h geometry, then one AH=02h CHS read per sector. */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void chsReadWithPackedRingsOffered() throws Exception {
        Run run = boot(true, true);
        assertThat(run.serial.lines()).as(run.evidence()).contains("PVKIT-INT13 drive=80 via=02h");
    }

    /**
     * A store failure on LBA 1..16 becomes VIRTIO_BLK_S_IOERR from the back-end, which SeaBIOS turns into an int 13h
     * error (CF set, AH = 0Ch): the boot sector prints it instead of a checksum.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void backendIoErrorReachesInt13() throws Exception {
        assertThat(QEMU).as("QEMU binary (Debian package qemu-system-x86)").isExecutable();
        MemoryBlockStore memory = new MemoryBlockStore(DISK_BYTES);
        memory.write(0, ByteBuffer.wrap(diskImage(false)));
        CountingStore store = new CountingStore(memory, SECTOR);
        FeatureLog features = new FeatureLog();
        backend = VhostUserBackend.serve(new VirtioBlkDevice(store), tmp.resolve("blk.sock"),
                VhostUserBackend.Options.defaults().withObserver(features));
        Run run = runQemu("I/O error on LBA >= 1", store, features);
        assertThat(run.serial.lines()).as(run.evidence())
                .contains("PVKIT-INT13 drive=80 via=42h", "PVKIT-INT13 error=0C");
        assertThat(run.serial).as(run.evidence()).doesNotContain("sum=");
        assertThat(exit.status()).as("QEMU exit status (isa-debug-exit 0x11)\n" + run.evidence()).isEqualTo(EXIT_ERROR_PRINTED);
        assertThat(exit.guestCode()).hasValue(0x11);
        assertThat(store.covers(0, SECTOR)).as("LBA 0 read by the back-end\n" + run.evidence()).isTrue();
    }

    /** Boots once and checks everything common to every variant; returns the run for variant-specific checks. */
    private Run boot(boolean packed, boolean forceChs) throws Exception {
        assertThat(QEMU).as("QEMU binary (Debian package qemu-system-x86)").isExecutable();

        byte[] image = diskImage(forceChs);
        MemoryBlockStore memory = new MemoryBlockStore(DISK_BYTES);
        memory.write(0, ByteBuffer.wrap(image));
        CountingStore store = new CountingStore(memory);
        VirtioBlkDevice device = new VirtioBlkDevice(store, BlkOptions.defaults(DISK_BYTES).withPacked(packed));
        Path socket = tmp.resolve("blk.sock");
        FeatureLog features = new FeatureLog();
        backend = VhostUserBackend.serve(device, socket, VhostUserBackend.Options.defaults().withObserver(features));

        String expected = String.format("PVKIT-INT13 sum=%08X sectors=%d",
                fnv1a32(image, FIRST_LBA * SECTOR, SECTORS * SECTOR), SECTORS);

        Run run = runQemu("packed offered=" + packed + ", force CHS=" + forceChs, store, features);
        String ev = run.evidence();
        assertThat(run.serial).as(ev).doesNotContain("error=");
        assertThat(run.serial.lines()).as("serial lines\n" + ev).contains(expected);
        assertThat(exit.status()).as("QEMU exit status (isa-debug-exit 0x10)\n" + ev).isEqualTo(EXIT_CHECKSUM_PRINTED);
        assertThat(exit.guestCode()).hasValue(0x10);
        // The firmware read the boot sector and then every probed sector through the PVKit back-end.
        assertThat(store.reads.get()).as(ev).isPositive();
        assertThat(store.covers(0, SECTOR)).as("LBA 0 read by the back-end\n" + ev).isTrue();
        assertThat(store.covers((long) FIRST_LBA * SECTOR, (long) SECTORS * SECTOR))
                .as("LBA %d..%d read by the back-end\n%s", FIRST_LBA, FIRST_LBA + SECTORS - 1, ev).isTrue();
        assertThat(store.writes.get()).as("the firmware never writes\n" + ev).isZero();
        // SeaBIOS's virtio-blk driver is a VERSION_1 driver on split rings. (The device itself is reset, and its
        // negotiated features cleared, when QEMU exits and closes the socket: the observer keeps them.)
        long negotiated = features.last;
        assertThat(VirtioFeatures.has(features.offered, VirtioFeatures.RING_PACKED)).as("RING_PACKED offered\n" + ev)
                .isEqualTo(packed);
        assertThat(features.started).as("queue 0 started\n" + ev).contains(0);
        assertThat(VirtioFeatures.has(negotiated, VirtioFeatures.VERSION_1)).as("VERSION_1 negotiated\n" + ev).isTrue();
        assertThat(VirtioFeatures.has(negotiated, VirtioFeatures.RING_PACKED)).as("RING_PACKED negotiated\n" + ev).isFalse();
        System.out.println("[int13] ok: " + expected + " in " + run.millis + " ms");
        return run;
    }

    /**
     * Starts QEMU against {@link #backend} through {@link QemuLauncher} (a firmware boot: no kernel, no agent), so it
     * has the harness's hard time limit and is killed with everything it started on failure and JVM exit; waits
     * for it to exit and reads the logs.
     */
    private Run runQemu(String label, CountingStore store, FeatureLog features) throws Exception {
        Path run = tmp.resolve("run");
        Path seabios = tmp.resolve("seabios.log");
        List<String> template = List.of(
                "-machine", "q35", "-accel", "@ACCEL@", "-m", "@MEMORY@", "-smp", "@CPUS@",
                "-object", "memory-backend-memfd,id=mem,size=@MEMORY@,share=on", "-numa", "node,memdev=mem",
                "-chardev", "socket,id=vub,path=" + backend.socketPath(),
                "-device", "vhost-user-blk-pci,chardev=vub,num-queues=1,bootindex=1",
                "-nographic", "-serial", "file:@CONSOLE_LOG@", "-monitor", "none", "-nic", "none", "-no-reboot",
                "-chardev", "file,id=seabios,path=" + seabios, "-device", "isa-debugcon,iobase=0x402,chardev=seabios",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04");
        System.out.println("[int13] " + label);

        long t0 = System.nanoTime();
        qemu = QemuLauncher.launch(QemuOptions.firmwareBoot().qemuBinary(QEMU).accelerator(Accelerator.TCG)
                .memoryMiB(128).cpus(1).template(template).runDirectory(run)
                .timeLimit(Duration.ofSeconds(BOOT_TIMEOUT_SECONDS + 30)));
        String failure = null;
        try {
            exit = qemu.awaitResult(Duration.ofSeconds(BOOT_TIMEOUT_SECONDS));
        } catch (IllegalStateException e) {
            failure = e.getMessage().lines().findFirst().orElse("");
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        Run r = new Run(read(qemu.consoleLog()), millis, qemu.consoleLog(), seabios, qemu.qemuLog(), store, features);
        if (failure != null) fail(failure + "\n" + r.evidence());
        System.out.println("[int13] QEMU: " + exit + " after " + millis + " ms; back-end served "
                + store.reads.get() + " reads; " + features
                + "\n[int13] serial: " + r.serial.strip().replace("\r\n", " | "));
        return r;
    }

    /** LBA 0: the boot sector (optionally switched to CHS reads); LBA 1 on: seeded pseudo-random bytes. */
    private static byte[] diskImage(boolean forceChs) throws IOException {
        byte[] image = new byte[DISK_BYTES];
        Random random = new Random(SEED);
        byte[] rest = new byte[DISK_BYTES - SECTOR];
        random.nextBytes(rest);
        System.arraycopy(rest, 0, image, SECTOR, rest.length);
        byte[] bs = bootSector();
        if (forceChs) bs[FORCE_CHS_OFFSET] = 1;
        System.arraycopy(bs, 0, image, 0, SECTOR);
        return image;
    }

    private static byte[] bootSector() throws IOException {
        try (InputStream in = SeaBiosInt13Test.class.getResourceAsStream("/firmware/bootsector.bin")) {
            assertThat(in).as("firmware/bootsector.bin on the test classpath").isNotNull();
            return in.readAllBytes();
        }
    }

    /** FNV-1a, 32 bits: h = 0x811C9DC5; per byte h = (h ^ b) * 0x01000193 mod 2^32 — as in bootsector.asm. */
    static long fnv1a32(byte[] data, int offset, int length) {
        int h = 0x811C9DC5;
        for (int i = offset; i < offset + length; i++) {
            h ^= data[i] & 0xff;
            h *= 0x01000193;
        }
        return h & 0xffffffffL;
    }

    /**
     * The committed bytes match their source. nasm is a prerequisite ({@code scripts/install-prerequisites}); without
     * it this fails rather than skips, so CI always checks.
     */
    @Test
    void bootSectorBytesMatchTheirSource() throws Exception {
        Path src = tmp.resolve("bootsector.asm");
        try (InputStream in = SeaBiosInt13Test.class.getResourceAsStream("/firmware/bootsector.asm")) {
            assertThat(in).as("firmware/bootsector.asm on the test classpath").isNotNull();
            Files.write(src, in.readAllBytes());
        }
        assertThat(Nasm.assembleFlat(src, tmp)).as("nasm output vs the committed firmware/bootsector.bin").isEqualTo(bootSector());
    }

    @Test
    void fnv1aKnownAnswers() {
        // Published FNV-1a 32 test vectors.
        assertThat(fnv1a32(new byte[0], 0, 0)).isEqualTo(0x811C9DC5L);
        assertThat(fnv1a32("a".getBytes(StandardCharsets.US_ASCII), 0, 1)).isEqualTo(0xE40C292CL);
        assertThat(fnv1a32("foobar".getBytes(StandardCharsets.US_ASCII), 0, 6)).isEqualTo(0xBF9CF968L);
    }

    private record Run(String serial, long millis, Path serialLog, Path seabiosLog, Path qemuLog, CountingStore store,
                       FeatureLog features) {
        String evidence() {
            return features + "; back-end reads "
                    + store.reads.get() + " " + store.ranges() + ", writes " + store.writes.get()
                    + "\n--- serial (tail) ---\n" + QemuInstance.tail(serialLog, 20)
                    + "\n--- SeaBIOS debug (tail) ---\n" + QemuInstance.tail(seabiosLog, 40)
                    + "\n--- QEMU output (tail) ---\n" + QemuInstance.tail(qemuLog, 20);
        }
    }

    /** What the back-end offered and what the front-end acknowledged (SET_FEATURES), and which queues started. */
    private static final class FeatureLog implements BackendObserver {
        volatile long offered;
        volatile long last;
        final Queue<Long> acknowledged = new ConcurrentLinkedQueue<>();
        final Queue<Integer> started = new ConcurrentLinkedQueue<>();

        @Override
        public void featuresOffered(long features) {
            offered = features;
        }

        @Override
        public void featuresAcknowledged(long features) {
            acknowledged.add(features);
            last = features;
        }

        @Override
        public void queueStarted(int queue) {
            started.add(queue);
        }

        @Override
        public String toString() {
            List<String> acks = new ArrayList<>();
            for (long f : acknowledged) acks.add("0x" + Long.toHexString(f));
            return "features offered 0x" + Long.toHexString(offered) + ", acknowledged " + acks
                    + ", queues started " + started;
        }
    }

    /** Passes everything to a store, counts reads and writes, and remembers which byte ranges were read. */
    private static final class CountingStore extends ForwardingBlockStore {
        final AtomicInteger reads = new AtomicInteger();
        final AtomicInteger writes = new AtomicInteger();
        private final ByteRanges readRanges = new ByteRanges();
        private final long failReadsFrom;

        CountingStore(BlockStore inner) {
            this(inner, Long.MAX_VALUE);
        }

        /** Reads at or past {@code failReadsFrom} throw, which the engine answers with VIRTIO_BLK_S_IOERR. */
        CountingStore(BlockStore inner, long failReadsFrom) {
            super(inner);
            this.failReadsFrom = failReadsFrom;
        }

        /** Whether the reads together cover [offset, offset + length). */
        boolean covers(long offset, long length) {
            return readRanges.covers(offset, length);
        }

        String ranges() {
            List<String> out = new ArrayList<>();
            for (long[] r : readRanges.list()) out.add("LBA " + r[0] / SECTOR + "+" + r[1] / SECTOR);
            return out.size() > 40 ? out.subList(0, 40) + "…" : out.toString();
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            readRanges.add(offset, dst.remaining());
            reads.incrementAndGet();
            if (offset + dst.remaining() > failReadsFrom) throw new IOException("injected read failure at " + offset);
            super.read(offset, dst);
        }

        @Override
        public void write(long offset, ByteBuffer src) throws IOException {
            writes.incrementAndGet();
            super.write(offset, src);
        }

        @Override
        public void discard(long offset, long length) throws IOException {
            writes.incrementAndGet();
            super.discard(offset, length);
        }

        @Override
        public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
            writes.incrementAndGet();
            super.writeZeroes(offset, length, mayUnmap);
        }
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "(no " + p.getFileName() + ")";
        } catch (IOException e) {
            return "(cannot read " + p + ": " + e.getMessage() + ")";
        }
    }
}

package dev.pvkit.sdk.interop.guest;

import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Issue #4 acceptance: real QEMU (qemu-system-x86_64, TCG, memfd-backed guest RAM) attaches to a PVKit
 * vhost-user-blk back-end, and a real Debian kernel's virtio_blk driver probes the device, reads it and writes it.
 * Nothing is mocked. The guest's {@code /init} ({@code guest/init.sh}) reports on the serial console and powers off.
 */
class LinuxGuestProbeTest {
    private static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");
    private static final int DISK_BYTES = 8 << 20;
    private static final long BOOT_TIMEOUT_SECONDS = 180;
    /** Planted in the disk's first 16 bytes; the guest dumps them as hex. */
    private static final byte[] PATTERN = {0x50, 0x56, 0x4b, 0x54, (byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef,
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
    /** What the guest's init writes at sector 1. */
    private static final byte[] MARKER = "PVKIT-MARKER-SECTOR-1".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path tmp;

    private Process qemu;
    private VhostUserBackend backend;

    @AfterEach
    void tearDown() throws InterruptedException {
        if (qemu != null && qemu.isAlive()) {
            qemu.destroyForcibly();
            qemu.waitFor(10, TimeUnit.SECONDS);
        }
        if (backend != null) backend.close();
    }

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES) // backstop only; the guest itself gets BOOT_TIMEOUT_SECONDS
    void linuxGuestProbesPvkitBlockDevice() throws Exception {
        assertThat(QEMU).as("QEMU binary (Debian package qemu-system-x86)").isExecutable();

        long t0 = System.nanoTime();
        TestGuestImage image = TestGuestImage.obtain();
        long imageMillis = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("[guest] image for kernel " + image.kernelVersion() + " ready in " + imageMillis + " ms");

        RamDiskDevice disk = new RamDiskDevice(DISK_BYTES, "pvkit-ramdisk");
        disk.load(0, PATTERN);
        Path socket = tmp.resolve("blk.sock");
        backend = VhostUserBackend.serve(disk, socket);

        Path console = tmp.resolve("console.log");
        Path qemuLog = tmp.resolve("qemu.log");
        List<String> cmd = List.of(QEMU.toString(),
                "-machine", "q35", "-accel", "tcg", "-cpu", "max", "-m", "256M", "-smp", "1",
                "-object", "memory-backend-memfd,id=mem,size=256M,share=on", "-numa", "node,memdev=mem",
                "-chardev", "socket,id=vub,path=" + socket,
                "-device", "vhost-user-blk-pci,chardev=vub,num-queues=1",
                "-kernel", image.kernel().toString(), "-initrd", image.initrd().toString(),
                "-append", "console=ttyS0 panic=-1 quiet",
                "-nographic", "-monitor", "none", "-nic", "none", "-no-reboot",
                "-serial", "file:" + console);
        System.out.println("[guest] " + String.join(" ", cmd));

        long t1 = System.nanoTime();
        qemu = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(qemuLog.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        boolean exited = qemu.waitFor(BOOT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        long bootMillis = (System.nanoTime() - t1) / 1_000_000;
        if (!exited) {
            qemu.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            fail("the guest did not power off within " + BOOT_TIMEOUT_SECONDS + " s (QEMU killed)\n"
                    + evidence(console, qemuLog, disk));
        }
        System.out.println("[guest] QEMU exited with " + qemu.exitValue() + " after " + bootMillis + " ms; "
                + disk.reads.get() + " reads, " + disk.writes.get() + " writes, " + disk.flushes.get() + " flushes");

        String out = read(console);
        System.out.println("[guest] console:\n" + out.stripTrailing());
        String ev = evidence(console, qemuLog, disk);
        assertThat(disk.negotiated & (1L << 32)).as("VERSION_1 negotiated\n" + ev).isNotZero();
        assertThat(out).as(ev).contains("PVKIT-INIT").doesNotContain("PVKIT-ERROR");
        assertThat(out).as(ev).contains("PVKIT-PROBE vda size=" + DISK_BYTES / 512);
        String hexLine = out.lines().filter(l -> l.startsWith("PVKIT-HEX")).findFirst().orElse("");
        assertThat(hexLine.replaceAll("\\s+", " ")).as(ev).contains("00000000 50 56 4b 54 de ad be ef 00 11 22 33 44 55 66 77");
        assertThat(out).as(ev).contains("PVKIT-SERIAL pvkit-ramdisk").contains("PVKIT-WROTE sector 1").contains("PVKIT-DONE");
        assertThat(disk.read(512, MARKER.length)).as("sector 1 of the RAM disk after the guest's dd\n" + ev)
                .isEqualTo(MARKER);
        assertThat(disk.read(0, PATTERN.length)).as("sector 0 untouched").isEqualTo(PATTERN);
        assertThat(disk.writes.get()).as("OUT requests").isPositive();
        assertThat(qemu.exitValue()).as("QEMU exit status after the guest's poweroff\n" + ev).isZero();
        System.out.println("[guest] timings: image " + imageMillis + " ms, boot+probe+poweroff " + bootMillis + " ms");
    }

    private static String evidence(Path console, Path qemuLog, RamDiskDevice disk) {
        return "negotiated features 0x" + Long.toHexString(disk.negotiated) + ", requests: " + disk.reads.get()
                + " IN, " + disk.writes.get() + " OUT, " + disk.flushes.get() + " FLUSH\n"
                + "--- guest console (tail) ---\n" + tail(read(console), 60)
                + "\n--- QEMU output (tail) ---\n" + tail(read(qemuLog), 40);
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "(no " + p.getFileName() + ")";
        } catch (IOException e) {
            return "(cannot read " + p + ": " + e.getMessage() + ")";
        }
    }

    private static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}

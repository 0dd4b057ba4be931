package dev.pvkit.conformance.live;

import dev.pvkit.conformance.guest.GuestImage;
import dev.pvkit.conformance.guest.GuestImageBuilder;
import dev.pvkit.conformance.guest.QemuCommandLine;
import dev.pvkit.conformance.guest.QemuInstance;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What the live tests share: the default image (built once per JVM), clean-up checks. */
public final class LiveSupport {
    private static GuestImage image;

    private LiveSupport() {
    }

    static synchronized GuestImage image() throws Exception {
        if (image == null) {
            long t0 = System.nanoTime();
            image = new GuestImageBuilder().build();
            System.out.printf("[live-blk] guest image %s ready in %d ms%n", image.kernelVersion(),
                    (System.nanoTime() - t0) / 1_000_000);
        }
        return image;
    }

    /** The default template without {@code -no-reboot}: a guest reboot resets the machine instead of ending QEMU. */
    static List<String> rebootingTemplate() {
        List<String> t = QemuCommandLine.DEFAULT_TEMPLATE.stream().filter(a -> !a.equals("-no-reboot")).toList();
        assertThat(t).hasSize(QemuCommandLine.DEFAULT_TEMPLATE.size() - 1);
        return t;
    }

    /**
     * Kills our QEMU (if any), checks that it is gone and that no QEMU is left ({@link #assertNoQemuLeft}, with our
     * temp directory {@code ours} as the marker), then closes {@code thenClose} in order (nulls skipped), even when a
     * check fails. Returns what {@code pgrep -a qemu} printed.
     */
    public static String killAndCheckGone(QemuInstance qemu, Path ours, AutoCloseable... thenClose) throws Exception {
        try {
            if (qemu != null) {
                qemu.close();
                assertThat(qemu.isAlive()).as("our QEMU (pid %d) is gone", qemu.pid()).isFalse();
            }
            return assertNoQemuLeft(ours.toString());
        } finally {
            for (AutoCloseable c : thenClose) {
                if (c != null) c.close();
            }
        }
    }

    /**
     * No QEMU at all is left among this JVM's descendants (tests run one at a time, each closing its own), and
     * {@code pgrep -a qemu} lists none whose command line contains {@code marker}: other engineers may run QEMU on the
     * same machine, so only lines naming the marker count. Returns what pgrep printed.
     */
    public static String assertNoQemuLeft(String marker) throws Exception {
        assertThat(ProcessHandle.current().descendants().filter(LiveSupport::isQemu)
                .map(p -> p.pid() + " " + p.info().commandLine().orElse(p.info().command().orElse("?"))))
                .as("no QEMU left among our descendants").isEmpty();
        Process p = new ProcessBuilder("pgrep", "-a", "qemu").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        p.waitFor(10, TimeUnit.SECONDS);
        assertThat(out.lines().filter(l -> l.contains(marker))).as("pgrep -a qemu (lines naming %s)", marker).isEmpty();
        return out;
    }

    private static boolean isQemu(ProcessHandle p) {
        return p.info().command().orElse("").contains("qemu") || p.info().commandLine().orElse("").contains("qemu");
    }

    static String seconds(long startNanos) {
        return String.format("%.1f s", (System.nanoTime() - startNanos) / 1e9);
    }
}

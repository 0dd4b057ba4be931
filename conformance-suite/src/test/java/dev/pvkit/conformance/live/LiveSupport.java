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

    /** Kills our QEMU (if any) and checks that no QEMU whose command line names {@code ours} is left. */
    public static void killAndCheckGone(QemuInstance qemu, Path ours) throws Exception {
        if (qemu != null) {
            qemu.close();
            assertThat(qemu.isAlive()).as("our QEMU (pid %d) is gone", qemu.pid()).isFalse();
        }
        assertThat(ProcessHandle.current().descendants()
                .filter(p -> p.info().commandLine().orElse("").contains("qemu"))
                .filter(p -> p.info().commandLine().orElse("").contains(ours.toString())))
                .as("no QEMU of ours left among our descendants").isEmpty();
        // Other engineers may run QEMU at the same time: only lines naming our temp directory count.
        Process p = new ProcessBuilder("pgrep", "-a", "qemu").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(10, TimeUnit.SECONDS);
        assertThat(out.lines().filter(l -> l.contains(ours.toString()))).as("pgrep -a qemu (ours)").isEmpty();
    }

    static String seconds(long startNanos) {
        return String.format("%.1f s", (System.nanoTime() - startNanos) / 1e9);
    }
}

package dev.pvkit.conformance.guest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A bootable guest: a kernel and an initramfs whose /init starts a guest agent (Appendix B of the PVKit spec) on
 * the agent channel. {@link #defaultImage()} builds PVKit's own from Debian packages; {@link #of} takes yours.
 *
 * @param kernel        the kernel image QEMU boots with {@code -kernel}
 * @param initrd        the initramfs QEMU loads with {@code -initrd}
 * @param kernelVersion the kernel release, or {@code "unknown"} for a user-provided image
 */
public record GuestImage(Path kernel, Path initrd, String kernelVersion) {
    public GuestImage {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(initrd, "initrd");
        Objects.requireNonNull(kernelVersion, "kernelVersion");
    }

    /** A user-provided kernel and initramfs; the initramfs must start an agent speaking Appendix B. */
    public static GuestImage of(Path kernel, Path initrd) {
        for (Path p : new Path[]{kernel, initrd}) {
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException("no such file: " + p);
        }
        return new GuestImage(kernel.toAbsolutePath(), initrd.toAbsolutePath(), "unknown");
    }

    /** PVKit's default guest (Debian kernel, busybox, the agent), built on first use and cached afterwards. */
    public static GuestImage defaultImage() throws java.io.IOException, InterruptedException {
        return new GuestImageBuilder().build();
    }
}

package dev.pvkit.conformance.matrix;

import dev.pvkit.conformance.certify.CertifyOptions;
import dev.pvkit.conformance.guest.Firmware;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One guest of a matrix file: the default guest, a kernel of the user's (with its initramfs, arguments, and
 * {@code passive}), or a firmware booted alone (with a disk image to boot). The same guests {@code pvkit certify}
 * takes as {@code --guest default}, {@code --kernel/--initrd/--append [--passive]} and {@code --firmware [--disk]}.
 *
 * @param name     the guest's name in the file: reports and cell labels use it
 * @param kernel   the user's kernel, or null (default guest or firmware)
 * @param initrd   its initramfs, or null
 * @param append   extra kernel arguments, or null
 * @param passive  no agent and no workload (always true for a firmware)
 * @param firmware a firmware booted alone, or null
 * @param disk     an image served read-only instead of a fresh disk, or null
 */
public record MatrixGuest(String name, Path kernel, Path initrd, String append, boolean passive, Firmware firmware, Path disk) {

    public MatrixGuest {
        Objects.requireNonNull(name);
        if (kernel != null && firmware != null) throw new IllegalArgumentException(name + ": a kernel or a firmware, not both");
        passive = passive || firmware != null;
    }

    /** PVKit's default guest (Debian's Linux kernel, a busybox initramfs with the agent). */
    public static MatrixGuest defaultGuest(String name) {
        return new MatrixGuest(name, null, null, null, false, null, null);
    }

    /** {@code base} with this guest in it: what the {@code pvkit certify} guest options would set. */
    public CertifyOptions applyTo(CertifyOptions base) {
        CertifyOptions o = base.withPassive(passive).withDisk(disk).withFirmware(firmware);
        return kernel != null ? o.withKernel(kernel, initrd, append) : o;
    }

    /** What the guest is, in one line: e.g. {@code firmware seabios, disk boot.img}. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (firmware != null) parts.add("firmware " + firmware.name().toLowerCase(Locale.ROOT));
        else if (kernel != null) parts.add("kernel " + kernel + (initrd != null ? ", initrd " + initrd : "")
                + (append != null ? ", append \"" + append + "\"" : ""));
        else parts.add("default guest");
        if (passive && firmware == null) parts.add("passive");
        if (disk != null) parts.add("disk " + disk);
        return String.join(", ", parts);
    }
}

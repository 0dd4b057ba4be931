package dev.pvkit.conformance.guest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A firmware booted on its own from the PVKit disk, with no kernel and no agent: what {@code pvkit certify
 * --firmware} certifies. {@link #template()} is an ordinary {@link QemuCommandLine} template (for
 * {@link QemuOptions#firmwareBoot()}): the default template's machine, memfd RAM, serial console and
 * {@code isa-debug-exit}, without {@code -kernel/-initrd/-append} or the agent channel, and for OVMF {@code -bios}.
 * With {@code -nodefaults} the PVKit disk is the only boot device; {@code -no-reboot} turns a guest reset into QEMU
 * exiting.
 */
public enum Firmware {
    /** QEMU's bundled SeaBIOS (legacy BIOS); it boots the disk's boot sector, if any. */
    SEABIOS(null),
    /**
     * OVMF, EDK II's UEFI firmware for QEMU (Debian package {@code ovmf}), on a modern-only device so that its
     * VERSION_1 driver is the one certified.
     */
    OVMF(Path.of("/usr/share/ovmf/OVMF.fd"));

    /** The Debian package that provides {@link #OVMF}'s image. */
    public static final String OVMF_PACKAGE = "ovmf";

    private final Path image;

    Firmware(Path image) {
        this.image = image;
    }

    /** The firmware image passed with {@code -bios}, or null for QEMU's own SeaBIOS. */
    public Path image() {
        return image;
    }

    /** Null when the firmware can be used here, else why not (the image is missing) and how to get it. */
    public String unavailable() {
        if (image == null || Files.isReadable(image)) return null;
        return name().toLowerCase(Locale.ROOT) + " image " + image + " is missing (Debian package '" + OVMF_PACKAGE
                + "': apt-get install " + OVMF_PACKAGE + ", or scripts/install-prerequisites)";
    }

    /**
     * Serial-console text after which this firmware, left alone, uses the device no more, or null: OVMF's UEFI
     * shell prompt (nothing bootable: the shell waits for a key). SeaBIOS has none: its "No bootable device." goes to
     * the screen and the debug port, not the serial console (the quiet end stops it).
     */
    public String idleMarker() {
        return switch (this) {
            case SEABIOS -> null;
            case OVMF -> "Shell> ";
        };
    }

    /** What {@link #idleMarker()} means, for messages. */
    public String idleMeaning() {
        return switch (this) {
            case SEABIOS -> null;
            case OVMF -> "OVMF reached its UEFI shell";
        };
    }

    public String displayName() {
        return switch (this) {
            case SEABIOS -> "SeaBIOS (QEMU's default)";
            case OVMF -> "OVMF (UEFI, " + image + ")";
        };
    }

    /**
     * SeaBIOS booting {@code kernel} with {@code -kernel}: a kernel without an initramfs (a Multiboot kernel, a small OS)
     * whose own driver is the one on the PVKit disk. Under {@code -boot strict=on} SeaBIOS sets up only the devices on
     * its boot list, the kernel here, and never touches the disk, so every driver session on it is the kernel's.
     *
     * @param append the kernel's command line, or null
     */
    public List<String> templateBooting(java.nio.file.Path kernel, String append) {
        if (this != SEABIOS) throw new IllegalStateException(this + " does not boot a bare kernel");
        List<String> t = new ArrayList<>(template());
        List<String> boot = new ArrayList<>(List.of("-kernel", kernel.toAbsolutePath().toString()));
        if (append != null) boot.addAll(List.of("-append", append));
        boot.addAll(List.of("-boot", "strict=on"));
        t.addAll(t.indexOf("@DEVICES@"), boot);
        return List.copyOf(t);
    }

    /** The QEMU argument template that boots this firmware alone from the PVKit disk ({@code @DEVICES@}). */
    public List<String> template() {
        List<String> t = new ArrayList<>(List.of(
                "-machine", "q35", "-accel", "@ACCEL@", "-cpu", "@CPU@", "-m", "@MEMORY@", "-smp", "@CPUS@",
                "-object", "memory-backend-memfd,id=mem,size=@MEMORY@,share=on", "-numa", "node,memdev=mem"));
        if (image != null) t.addAll(List.of("-bios", image.toString()));
        // QEMU's virtio-pci devices are transitional by default, and OVMF drives a transitional device through its
        // legacy (virtio 0.9.5) driver on the I/O BAR. Modern-only, the device is OVMF's VERSION_1 driver's
        // (Virtio10Dxe), on the virtio-pci capabilities that QEMU's register trace shows.
        if (this == OVMF) t.addAll(List.of("-global", "vhost-user-blk-pci.disable-legacy=on"));
        t.addAll(List.of("-nodefaults", "-display", "none", "-no-reboot",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-chardev", "file,id=pvkit-console,path=@CONSOLE_LOG@", "-serial", "chardev:pvkit-console",
                "@DEVICES@"));
        return List.copyOf(t);
    }
}

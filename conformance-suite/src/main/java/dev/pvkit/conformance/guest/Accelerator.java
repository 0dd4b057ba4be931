package dev.pvkit.conformance.guest;

/** How QEMU runs the guest's CPU. */
public enum Accelerator {
    /** KVM if a short probe boot shows guests actually run under it here, else TCG. */
    AUTO,
    /** Hardware virtualization; fails if /dev/kvm cannot be opened. */
    KVM,
    /** QEMU's software emulation: slow, but works everywhere. */
    TCG;

    /** The value of QEMU's {@code -accel} option. */
    public String qemuName() {
        if (this == AUTO) throw new IllegalStateException("AUTO must be resolved to KVM or TCG first");
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

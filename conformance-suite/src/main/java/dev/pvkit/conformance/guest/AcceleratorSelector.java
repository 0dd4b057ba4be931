package dev.pvkit.conformance.guest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolves {@link Accelerator#AUTO}. A readable /dev/kvm is not enough: on some hosts (nested virtualization,
 * this project's CI) guests hang under KVM. So AUTO boots the guest once with KVM, bounded, and uses KVM only if
 * the agent's banner arrives; otherwise TCG. The verdict is remembered per QEMU binary for the JVM's lifetime.
 */
final class AcceleratorSelector {
    /** Boots a probe guest with KVM and reports whether its agent answered in time. */
    @FunctionalInterface
    interface KvmProbe {
        boolean guestRuns() throws InterruptedException;
    }

    private static final Map<Path, Accelerator> VERDICTS = new ConcurrentHashMap<>();

    private AcceleratorSelector() {
    }

    static Accelerator resolve(Accelerator requested, Path qemuBinary, KvmProbe probe) throws InterruptedException {
        if (requested != Accelerator.AUTO) return requested;
        Accelerator known = VERDICTS.get(qemuBinary);
        if (known != null) return known;
        Accelerator verdict = decide(kvmAccessible(), probe);
        VERDICTS.put(qemuBinary, verdict);
        return verdict;
    }

    static Accelerator decide(boolean kvmAccessible, KvmProbe probe) throws InterruptedException {
        if (!kvmAccessible) return Accelerator.TCG;
        return probe.guestRuns() ? Accelerator.KVM : Accelerator.TCG;
    }

    static boolean kvmAccessible() {
        Path kvm = Path.of("/dev/kvm");
        return Files.exists(kvm) && Files.isReadable(kvm) && Files.isWritable(kvm);
    }
}

package dev.pvkit.conformance.guest;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class AcceleratorSelectorTest {

    @Test
    void autoUsesKvmOnlyWhenTheProbeGuestRuns() throws InterruptedException {
        assertThat(AcceleratorSelector.decide(false, () -> true)).isEqualTo(Accelerator.TCG);
        assertThat(AcceleratorSelector.decide(true, () -> false)).isEqualTo(Accelerator.TCG);
        assertThat(AcceleratorSelector.decide(true, () -> true)).isEqualTo(Accelerator.KVM);
    }

    @Test
    void explicitChoicesAreNotProbedAndAutoIsProbedOncePerBinary() throws InterruptedException {
        AtomicInteger probes = new AtomicInteger();
        AcceleratorSelector.KvmProbe probe = () -> {
            probes.incrementAndGet();
            return false;
        };
        Path bin = Path.of("/nonexistent/qemu-" + System.nanoTime());
        assertThat(AcceleratorSelector.resolve(Accelerator.TCG, bin, probe)).isEqualTo(Accelerator.TCG);
        assertThat(AcceleratorSelector.resolve(Accelerator.KVM, bin, probe)).isEqualTo(Accelerator.KVM);
        assertThat(probes).hasValue(0);
        assertThat(AcceleratorSelector.resolve(Accelerator.AUTO, bin, probe)).isEqualTo(Accelerator.TCG);
        assertThat(AcceleratorSelector.resolve(Accelerator.AUTO, bin, probe)).isEqualTo(Accelerator.TCG);
        assertThat(probes.get()).isLessThanOrEqualTo(1); // 0 when /dev/kvm is not accessible at all
    }
}

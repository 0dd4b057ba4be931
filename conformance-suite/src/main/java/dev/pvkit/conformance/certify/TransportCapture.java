package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.guest.QemuOptions;
import dev.pvkit.conformance.observe.EventLog;

/** Turns QEMU's trace of the driver's virtio-pci register accesses into transport events in the log. */
final class TransportCapture {
    private TransportCapture() {
    }

    static void attach(QemuOptions q, EventLog log) {
        // wired once the trace reader lands
    }
}

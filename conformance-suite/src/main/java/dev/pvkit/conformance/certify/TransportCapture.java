package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.guest.QemuOptions;
import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.conformance.observe.TransportTrace;

/**
 * Turns QEMU's trace of the driver's virtio-pci register accesses into transport events in the log: the source
 * that shows status, feature and queue set-up steps, which vhost-user never carries.
 */
final class TransportCapture {
    private TransportCapture() {
    }

    static TransportTrace attach(QemuOptions q, EventLog log) {
        TransportTrace trace = new TransportTrace(log);
        q.transportTrace(trace);
        return trace;
    }
}

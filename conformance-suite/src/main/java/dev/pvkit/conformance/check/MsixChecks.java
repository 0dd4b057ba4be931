package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.CommonField;
import dev.pvkit.conformance.observe.DeviceStatus;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.TransportEvent;

import java.util.List;
import java.util.Set;

/**
 * MSI-X vector mapping through config_msix_vector and queue_msix_vector (area NOTIFY). The table size is not in
 * the trace, but QEMU shows it: it answers a vector outside the device's MSI-X table with NO_VECTOR (0xffff) on the
 * read-back ({@code msix_vector_use} fails only for a vector at or beyond the table's size).
 */
public final class MsixChecks implements Check {
    /** MUST NOT write a vector outside the device's MSI-X table. */
    public static final String VECTOR_IN_TABLE = "DRV-NOTIFY-005";
    /** MUST read the vector field back after mapping an event. */
    public static final String VECTOR_READ_BACK = "DRV-NOTIFY-006";

    static final int NO_VECTOR = 0xffff;

    @Override
    public Set<String> decides() {
        return Set.of(VECTOR_IN_TABLE, VECTOR_READ_BACK);
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        TransportEvent[] pending = {null};
        long[] pendingQueue = {-1};
        PciRegisters.replay(session, (t, r) -> {
            TransportEvent w = pending[0];
            if (w != null) {
                CommonField f = w.commonField();
                if (t.isReadOf(f) && (f == CommonField.CONFIG_MSIX_VECTOR || r.queueSelect() == pendingQueue[0])) {
                    findings.kept(VECTOR_READ_BACK, t);
                    if (t.value() == NO_VECTOR) {
                        findings.broke(VECTOR_IN_TABLE, f == CommonField.QUEUE_MSIX_VECTOR ? (int) pendingQueue[0] : -1,
                                List.of(w, t), String.format("wrote vector %d to %s and QEMU answered NO_VECTOR: the vector"
                                        + " is outside the device's MSI-X table; the rule forbids such a vector", w.value(),
                                        f.fieldName()));
                    } else {
                        findings.kept(VECTOR_IN_TABLE, t);
                    }
                    pending[0] = null;
                } else if (t.write() && (t.isWriteOf(f) || (f == CommonField.QUEUE_MSIX_VECTOR
                        && t.isWriteOf(CommonField.QUEUE_SELECT) && t.value() != pendingQueue[0])
                        || (PciRegisters.isStatusWrite(t) && (t.value() & DeviceStatus.DRIVER_OK) != 0) || PciRegisters.isReset(t))) {
                    findings.broke(VECTOR_READ_BACK, f == CommonField.QUEUE_MSIX_VECTOR ? (int) pendingQueue[0] : -1,
                            List.of(w, t), String.format("wrote vector %d to %s and went on (%s) without reading it back;"
                                    + " the rule asks for a read-back to confirm the mapping", w.value(), f.fieldName(),
                                    t.describe()));
                    pending[0] = null;
                }
            }
            if ((t.isWriteOf(CommonField.CONFIG_MSIX_VECTOR) || t.isWriteOf(CommonField.QUEUE_MSIX_VECTOR))
                    && t.value() != NO_VECTOR) {
                pending[0] = t;
                pendingQueue[0] = r.queueSelect();
            }
        });
    }
}

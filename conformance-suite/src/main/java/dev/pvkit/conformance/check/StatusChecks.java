package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DeviceStatus;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.TransportEvent;

import java.util.List;
import java.util.Set;

/**
 * Device status rules (spec area STATUS) from the driver's device_status writes in QEMU's transport trace. The bits
 * judged are the ones the driver itself wrote since its reset; what QEMU reads back is the device's answer and
 * never counts against the driver.
 */
public final class StatusChecks implements Check {
    /** MUST NOT clear a status bit it has set, other than by writing 0. */
    public static final String NO_BIT_CLEARED = "DRV-STATUS-002";
    /** MUST reset after setting FAILED before a new initialization. */
    public static final String RESET_AFTER_FAILED = "DRV-STATUS-003";
    /** SHOULD NOT set SUSPEND while DRIVER_OK is clear. */
    public static final String SUSPEND_NEEDS_DRIVER_OK = "DRV-STATUS-005";
    /** SHOULD NOT set SUSPEND unless VIRTIO_F_SUSPEND was negotiated. */
    public static final String SUSPEND_NEEDS_FEATURE = "DRV-STATUS-006";
    /** MUST re-read device status after setting SUSPEND. */
    public static final String SUSPEND_READ_BACK = "DRV-STATUS-007";
    /** MUST NOT write the device configuration after SUSPEND until resumed. */
    public static final String NO_CONFIG_WRITE_SUSPENDED = "DRV-STATUS-010";

    /** VIRTIO_F_SUSPEND (virtio 1.4 §6, spec group virtio.feature). */
    static final int F_SUSPEND = 43;

    @Override
    public Set<String> decides() {
        return Set.of(NO_BIT_CLEARED, RESET_AFTER_FAILED, SUSPEND_NEEDS_DRIVER_OK, SUSPEND_NEEDS_FEATURE,
                SUSPEND_READ_BACK, NO_CONFIG_WRITE_SUSPENDED);
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        TransportEvent[] failedAt = {null};
        TransportEvent[] suspendAt = {null};
        boolean[] suspendRead = {false};
        PciRegisters.replay(session, (t, r) -> {
            if (PciRegisters.isReset(t)) {
                if (failedAt[0] != null) findings.kept(RESET_AFTER_FAILED, t);
                failedAt[0] = null;
                suspendAt[0] = null;
                return;
            }
            if (suspendAt[0] != null && !suspendRead[0]) {
                if (PciRegisters.isStatusRead(t)) {
                    suspendRead[0] = true;
                    findings.kept(SUSPEND_READ_BACK, t);
                } else if (t.write()) {
                    findings.broke(SUSPEND_READ_BACK, -1, List.of(suspendAt[0], t), String.format(
                            "set SUSPEND (%s) and then wrote again (%s) without reading device_status back; the rule asks"
                                    + " for a re-read of device status after setting SUSPEND",
                            PciRegisters.status(suspendAt[0].value()), t.describe()));
                    suspendRead[0] = true;
                }
            }
            if (PciRegisters.isConfigWrite(t) && suspendAt[0] != null) {
                findings.broke(NO_CONFIG_WRITE_SUSPENDED, -1, List.of(t, suspendAt[0]), String.format(
                        "wrote device configuration at offset 0x%x while SUSPEND (set by %s) was still set; the rule"
                                + " forbids configuration writes until the device is resumed", t.offset(),
                        PciRegisters.status(suspendAt[0].value())));
            }
            if (failedAt[0] != null && startsInitialization(t, r)) {
                findings.broke(RESET_AFTER_FAILED, -1, List.of(t, failedAt[0]), String.format(
                        "after setting FAILED (%s) went on with an initialization step (%s) without writing 0 first;"
                                + " the rule asks for a reset before a new initialization",
                        PciRegisters.status(failedAt[0].value()), t.describe()));
                failedAt[0] = null;
            }
            if (!PciRegisters.isStatusWrite(t) || !r.known()) return;
            int v = (int) t.value();
            int dropped = r.statusSet() & ~v;
            if (dropped != 0) {
                findings.broke(NO_BIT_CLEARED, -1, t, String.format(
                        "wrote device_status %s after having set %s: cleared %s; the rule allows clearing bits only by"
                                + " writing 0", PciRegisters.status(v), PciRegisters.status(r.statusSet()),
                        DeviceStatus.describe(dropped)));
            } else if (r.statusSet() != 0) {
                findings.kept(NO_BIT_CLEARED, t);
            }
            if ((v & DeviceStatus.FAILED) != 0 && failedAt[0] == null && !r.has(DeviceStatus.FAILED)) failedAt[0] = t;
            boolean suspendNew = (v & DeviceStatus.SUSPEND) != 0 && !r.has(DeviceStatus.SUSPEND);
            if ((v & DeviceStatus.SUSPEND) == 0) suspendAt[0] = null;
            if (suspendNew) {
                suspendAt[0] = t;
                suspendRead[0] = false;
                if ((v & DeviceStatus.DRIVER_OK) == 0) {
                    findings.broke(SUSPEND_NEEDS_DRIVER_OK, -1, t, String.format(
                            "set SUSPEND with device_status %s, DRIVER_OK clear; the rule says not to suspend a device"
                                    + " that is not live", PciRegisters.status(v)));
                } else {
                    findings.kept(SUSPEND_NEEDS_DRIVER_OK, t);
                }
                r.accepts(F_SUSPEND).ifPresent(acc -> {
                    if (acc) findings.kept(SUSPEND_NEEDS_FEATURE, t);
                    else findings.broke(SUSPEND_NEEDS_FEATURE, -1, t, String.format(
                            "set SUSPEND (%s) without having accepted VIRTIO_F_SUSPEND (bit %d); the rule asks for the"
                                    + " feature first", PciRegisters.status(v), F_SUSPEND));
                });
            }
        });
    }

    /** A step of a new initialization: a status write adding a bit other than FAILED, or feature or queue set-up. */
    private static boolean startsInitialization(TransportEvent t, PciRegisters r) {
        if (PciRegisters.isStatusWrite(t)) {
            int added = (int) t.value() & ~r.statusSet() & ~DeviceStatus.FAILED;
            return added != 0;
        }
        return PciRegisters.isFeatureWrite(t) || PciRegisters.isQueueSetupWrite(t);
    }
}

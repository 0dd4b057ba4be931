package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.CommonField;
import dev.pvkit.conformance.observe.DeviceStatus;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.GuestEvent;
import dev.pvkit.conformance.observe.TransportEvent;

import java.util.List;
import java.util.Set;

/**
 * Initialization order (spec area INIT) from the driver's status, feature, queue and device-configuration writes
 * in QEMU's trace. The order rule DRV-INIT-001 is split so that one wrong step is one finding: the ACKNOWLEDGE then
 * DRIVER steps are DRV-INIT-003's, the features before FEATURES_OK DRV-INIT-004's, the read-back DRV-INIT-008's,
 * queue set-up before DRIVER_OK DRV-INIT-010's; DRV-INIT-001 keeps the rest of the order: feature negotiation only
 * after DRIVER, device (queue) set-up only after FEATURES_OK, DRIVER_OK only after FEATURES_OK.
 */
public final class InitChecks implements Check {
    /** MUST initialize in the order reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, check, set-up, DRIVER_OK. */
    public static final String ORDER = "DRV-INIT-001";
    /** MUST reset the device before any other initialization step. */
    public static final String RESET_FIRST = "DRV-INIT-002";
    /** MUST set ACKNOWLEDGE and then DRIVER after the reset. */
    public static final String ACK_THEN_DRIVER = "DRV-INIT-003";
    /** MUST read device features and write the accepted subset before FEATURES_OK. */
    public static final String FEATURES_BEFORE_FEATURES_OK = "DRV-INIT-004";
    /** MUST NOT write device-specific configuration before FEATURES_OK. */
    public static final String NO_CONFIG_WRITE_BEFORE_FEATURES_OK = "DRV-INIT-006";
    /** MUST NOT accept additional feature bits after FEATURES_OK. */
    public static final String NO_FEATURES_AFTER_FEATURES_OK = "DRV-INIT-007";
    /** MUST read status back after setting FEATURES_OK. */
    public static final String FEATURES_OK_READ_BACK = "DRV-INIT-008";
    /** MUST finish device set-up, virtqueues included, before DRIVER_OK. */
    public static final String SETUP_BEFORE_DRIVER_OK = "DRV-INIT-010";
    /** MUST set DRIVER_OK as the last initialization step. */
    public static final String DRIVER_OK_LAST = "DRV-INIT-011";

    @Override
    public Set<String> decides() {
        return Set.of(ORDER, RESET_FIRST, ACK_THEN_DRIVER, FEATURES_BEFORE_FEATURES_OK, NO_CONFIG_WRITE_BEFORE_FEATURES_OK,
                NO_FEATURES_AFTER_FEATURES_OK, FEATURES_OK_READ_BACK, SETUP_BEFORE_DRIVER_OK, DRIVER_OK_LAST);
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        checkResetFirst(session, findings);
        boolean[] featureRead = {false};
        TransportEvent[] readBackPending = {null};
        boolean[] queueEnabled = {false};
        PciRegisters.replay(session, (t, r) -> {
            if (PciRegisters.isReset(t)) {
                featureRead[0] = false;
                readBackPending[0] = null;
                queueEnabled[0] = false;
                return;
            }
            if (!r.known()) return;
            if (t.isReadOf(CommonField.DEVICE_FEATURE)) featureRead[0] = true;
            if (readBackPending[0] != null) {
                if (PciRegisters.isStatusRead(t)) {
                    findings.kept(FEATURES_OK_READ_BACK, t);
                    readBackPending[0] = null;
                } else if (t.write()) {
                    findings.broke(FEATURES_OK_READ_BACK, -1, List.of(readBackPending[0], t), String.format(
                            "set FEATURES_OK (%s) and went on (%s) without reading device_status back; the rule asks"
                                    + " for a read-back to check that FEATURES_OK stuck",
                            PciRegisters.status(readBackPending[0].value()), t.describe()));
                    readBackPending[0] = null;
                }
            }
            if (PciRegisters.isConfigWrite(t)) {
                if (r.featuresOk()) findings.kept(NO_CONFIG_WRITE_BEFORE_FEATURES_OK, t);
                else findings.broke(NO_CONFIG_WRITE_BEFORE_FEATURES_OK, -1, t, String.format(
                        "wrote device configuration at offset 0x%x with device_status %s, before FEATURES_OK; the"
                                + " rule forbids device-specific configuration writes before FEATURES_OK", t.offset(),
                        PciRegisters.status(r.statusSet())));
            }
            if (PciRegisters.isFeatureWrite(t)) {
                if (!r.has(DeviceStatus.DRIVER) && !r.featuresOk()) {
                    findings.broke(ORDER, -1, t, String.format("negotiated features (%s) with device_status %s,"
                            + " before DRIVER; the rule orders feature negotiation after DRIVER", t.describe(),
                            PciRegisters.status(r.statusSet())));
                }
                if (r.has(DeviceStatus.DRIVER_OK) && !addsFeatures(t, r)) {
                    findings.broke(DRIVER_OK_LAST, -1, t, String.format("wrote a feature register (%s) after DRIVER_OK;"
                            + " the rule makes DRIVER_OK the last initialization step", t.describe()));
                }
                if (r.featuresOk() && addsFeatures(t, r)) {
                    findings.broke(NO_FEATURES_AFTER_FEATURES_OK, -1, t, String.format(
                            "after FEATURES_OK wrote driver_feature word %d = 0x%08x over 0x%08x, adding %s; the rule"
                                    + " forbids accepting feature bits after FEATURES_OK", r.driverFeatureSelect(),
                            t.value(), r.accepted(r.driverFeatureSelect()).orElse(0),
                            FeatureChecks.bits(t.value() & ~r.accepted(r.driverFeatureSelect()).orElse(0),
                                    r.driverFeatureSelect())));
                }
            }
            if (PciRegisters.isQueueSetupWrite(t)) {
                if (!r.featuresOk()) {
                    findings.broke(ORDER, -1, t, String.format("set up queue %d (%s) with device_status %s, before"
                                    + " FEATURES_OK; the rule orders device set-up after FEATURES_OK and its check",
                            r.queueSelect(), t.describe(), PciRegisters.status(r.statusSet())));
                }
                if (r.has(DeviceStatus.DRIVER_OK) && !queueReset(session, t)) {
                    findings.broke(SETUP_BEFORE_DRIVER_OK, (int) r.queueSelect(), t, String.format(
                            "set up queue %d (%s) after DRIVER_OK; the rule asks for virtqueue set-up to be finished"
                                    + " before DRIVER_OK", r.queueSelect(), t.describe()));
                }
                if (t.isWriteOf(CommonField.QUEUE_ENABLE) && t.value() != 0) queueEnabled[0] = true;
            }
            if (!PciRegisters.isStatusWrite(t)) return;
            int added = (int) t.value() & ~r.statusSet();
            int initBits = DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK | DeviceStatus.DRIVER_OK;
            boolean ackMissing = (added & initBits) != 0 && !r.has(DeviceStatus.ACKNOWLEDGE);
            boolean driverMissing = (added & (DeviceStatus.FEATURES_OK | DeviceStatus.DRIVER_OK)) != 0
                    && !r.has(DeviceStatus.DRIVER);
            if (ackMissing || driverMissing) {
                findings.broke(ACK_THEN_DRIVER, -1, t, String.format("wrote device_status %s after %s: %s; the rule"
                                + " asks for ACKNOWLEDGE, then DRIVER, each in a write of its own after the reset",
                        PciRegisters.status(t.value()), r.statusSet() == 0 ? "the reset" : PciRegisters.status(r.statusSet()),
                        ackMissing ? "set " + DeviceStatus.describe(added & initBits) + " without ACKNOWLEDGE set before"
                                : "skipped DRIVER"));
            } else if ((added & DeviceStatus.DRIVER) != 0) {
                findings.kept(ACK_THEN_DRIVER, t);
            }
            if ((added & DeviceStatus.FEATURES_OK) != 0) {
                if (!featureRead[0] || !r.featureWritten()) {
                    findings.broke(FEATURES_BEFORE_FEATURES_OK, -1, t, String.format("set FEATURES_OK (%s) %s; the rule"
                                    + " asks the driver to read the device features and write the accepted subset first",
                            PciRegisters.status(t.value()), !featureRead[0] ? "without having read device_feature"
                                    : "without having written driver_feature"));
                } else {
                    findings.kept(FEATURES_BEFORE_FEATURES_OK, t);
                }
                findings.kept(NO_FEATURES_AFTER_FEATURES_OK, t);
                if ((added & DeviceStatus.DRIVER_OK) == 0) readBackPending[0] = t;
            }
            if ((added & DeviceStatus.DRIVER_OK) != 0) {
                if (!r.featuresOk() && !driverMissing && !ackMissing) {
                    findings.broke(ORDER, -1, t, String.format("set DRIVER_OK (%s) with FEATURES_OK not set by an earlier"
                                    + " write (device_status was %s); the rule orders FEATURES_OK and its check before"
                                    + " DRIVER_OK", PciRegisters.status(t.value()), PciRegisters.status(r.statusSet())));
                } else {
                    findings.kept(ORDER, t);
                }
                if (queueEnabled[0]) findings.kept(SETUP_BEFORE_DRIVER_OK, t);
                findings.kept(DRIVER_OK_LAST, t);
            }
        });
    }

    private static boolean addsFeatures(TransportEvent t, PciRegisters r) {
        if (!t.isWriteOf(CommonField.DRIVER_FEATURE)) return false;
        long before = r.accepted(r.driverFeatureSelect()).orElse(0);
        return (t.value() & 0xffffffffL & ~before) != 0;
    }

    /** Whether the driver reset this queue (queue_reset = 1) after DRIVER_OK, which allows setting it up again. */
    private static boolean queueReset(DriverSession session, TransportEvent setup) {
        long select = -1;
        boolean afterDriverOk = false;
        boolean reset = false;
        for (TransportEvent t : PciRegisters.accesses(session)) {
            if (t == setup) return reset;
            if (PciRegisters.isStatusWrite(t) && (t.value() & DeviceStatus.DRIVER_OK) != 0) afterDriverOk = true;
            if (t.isWriteOf(CommonField.QUEUE_SELECT)) {
                if (t.value() != select) reset = false;
                select = t.value();
            }
            if (afterDriverOk && t.isWriteOf(CommonField.QUEUE_RESET) && t.value() == 1) reset = true;
        }
        return false;
    }

    /**
     * DRV-INIT-002: the session's first driver write is its reset. A session that did not start with one, or in which
     * other software (the OS kernel after the firmware, the firmware after a restart) took over and wrote without a
     * reset of its own, broke it.
     */
    private static void checkResetFirst(DriverSession session, Findings findings) {
        boolean handedOver = !session.startedByReset();
        String by = handedOver ? "the session's first write" : null;
        boolean first = true;
        for (Event e : session.events()) {
            if (e instanceof GuestEvent g && !first && (g.milestone() == GuestEvent.Milestone.KERNEL_STARTED
                    || g.milestone() == GuestEvent.Milestone.RESTARTING)) {
                handedOver = true;
                by = g.describe();
            }
            if (!(e instanceof TransportEvent t) || !t.write()) continue;
            if (PciRegisters.isReset(t)) {
                if (first) findings.kept(RESET_FIRST, t);
                first = false;
                handedOver = false;
                continue;
            }
            first = false;
            if (handedOver) {
                findings.broke(RESET_FIRST, -1, t, String.format("began initialization with %s (after %s) instead of a"
                        + " write of 0 to device_status; the rule asks for a reset before any other step", t.describe(), by));
                return;
            }
        }
    }
}

package dev.pvkit.conformance.selftest;

import dev.pvkit.conformance.observe.CommonField;
import dev.pvkit.conformance.observe.TransportEvent;
import dev.pvkit.conformance.observe.TransportEvent.Region;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static dev.pvkit.conformance.selftest.TransportWrongDrivers.change;
import static dev.pvkit.conformance.selftest.TransportWrongDrivers.deleteAll;
import static dev.pvkit.conformance.selftest.TransportWrongDrivers.firstAfter;
import static dev.pvkit.conformance.selftest.TransportWrongDrivers.firstWrite;
import static dev.pvkit.conformance.selftest.TransportWrongDrivers.insertAfter;
import static dev.pvkit.conformance.selftest.TransportWrongDrivers.lastBefore;
import static dev.pvkit.conformance.selftest.TransportWrongDrivers.linux;
import static dev.pvkit.conformance.selftest.TransportWrongDrivers.nth;
import static dev.pvkit.conformance.selftest.TransportWrongDrivers.read;
import static dev.pvkit.conformance.selftest.TransportWrongDrivers.statusRead;
import static dev.pvkit.conformance.selftest.TransportWrongDrivers.statusWrite;
import static dev.pvkit.conformance.selftest.WrongDriver.breaking;
import static dev.pvkit.conformance.selftest.WrongDriver.correct;

/**
 * Wrong (and correct) drivers for the virtqueue-reset and zoned-model checks, made like {@link TransportWrongDrivers}
 * from Linux 6.1's first probe in {@code linux-blk.trace}. Queue reset: the device is made to offer
 * VIRTIO_F_RING_RESET (bit 40: device_feature word 1 reads 0x101) and the driver accepts it; after DRIVER_OK the
 * driver resets queue 0 and re-enables it the way Linux's {@code vp_modern_set_queue_reset} and
 * {@code vp_modern_enable_vq_after_reset} do (queue_select before every access; wait for queue_reset to read 0; size,
 * addresses, MSI-X vector, enable). Zoned: the device is made to offer ZONED (bit 17: device_feature word 0 reads
 * 0x30027e46) and the driver reads the model byte (device config+0x5c) before negotiating.
 */
final class QueueResetZonedWrongDrivers {
    private QueueResetZonedWrongDrivers() {
    }

    static List<WrongDriver> all() {
        return List.of(
                correct("Linux with RING_RESET: resets queue 0 after DRIVER_OK, waits for queue_reset 0, re-enables it",
                        () -> linux(e -> queueReset(e))),
                breaking("DRV-RESET-002", "resets queue 0 and sets it up again without reading queue_reset back",
                        () -> linux(e -> deleteAll(queueReset(e), read(CommonField.QUEUE_RESET)))),
                breaking("DRV-RESET-004", "re-enables reset queue 0 without writing its descriptor area again",
                        () -> linux(e -> deleteAll(queueReset(e), after(statusWrite(0xf),
                                t -> t.isWriteOf(CommonField.QUEUE_DESC))))),
                correct("Linux with ZONED offered, model HM read, DISCARD not accepted",
                        () -> linux(e -> change(zonedHm(e), firstWrite(CommonField.DRIVER_FEATURE),
                                0x30007e46L & ~(1L << 13)))),
                breaking("DRV-BLK-006", "accepts DISCARD from a device that offers ZONED with model HM",
                        () -> linux(e -> zonedHm(e))));
    }

    // ---- queue reset -------------------------------------------------------------------------------------------

    private static final int Q = 0;

    /** RING_RESET offered and accepted; queue 0 reset and re-enabled after DRIVER_OK (read back). */
    static List<TransportEvent> queueReset(List<TransportEvent> e) {
        e = change(e, nth(read(CommonField.DEVICE_FEATURE), 2), 0x101);
        e = change(e, lastBefore(e, CommonField.DRIVER_FEATURE, statusWrite(0xb)), 0x101);
        TransportEvent anchor = e.get(index(e, firstAfter(e, statusWrite(0xf), statusRead())));
        List<TransportEvent> seq = new ArrayList<>();
        // vp_modern_set_queue_reset
        seq.add(w(CommonField.QUEUE_SELECT, Q));
        seq.add(w(CommonField.QUEUE_RESET, 1));
        seq.add(r(CommonField.QUEUE_RESET, 0));
        seq.add(r(CommonField.QUEUE_ENABLE, 0));
        // vp_modern_enable_vq_after_reset: checks, vp_active_vq (size, addresses, vector), enable
        seq.add(w(CommonField.QUEUE_SELECT, Q));
        seq.add(r(CommonField.QUEUE_RESET, 0));
        seq.add(w(CommonField.QUEUE_SELECT, Q));
        seq.add(r(CommonField.QUEUE_ENABLE, 0));
        seq.add(w(CommonField.QUEUE_SELECT, Q));
        seq.add(w(CommonField.QUEUE_SIZE, 0x80));
        seq.add(w(CommonField.QUEUE_SELECT, Q));
        seq.add(w32(CommonField.QUEUE_DESC.offset(), 0x2aac000));
        seq.add(w32(CommonField.QUEUE_DESC.offset() + 4, 0));
        seq.add(w32(CommonField.QUEUE_DRIVER.offset(), 0x2aac800));
        seq.add(w32(CommonField.QUEUE_DRIVER.offset() + 4, 0));
        seq.add(w32(CommonField.QUEUE_DEVICE.offset(), 0x2aac940));
        seq.add(w32(CommonField.QUEUE_DEVICE.offset() + 4, 0));
        seq.add(w(CommonField.QUEUE_SELECT, Q));
        seq.add(w(CommonField.QUEUE_MSIX_VECTOR, 1));
        seq.add(r(CommonField.QUEUE_MSIX_VECTOR, 1));
        seq.add(w(CommonField.QUEUE_SELECT, Q));
        seq.add(w(CommonField.QUEUE_ENABLE, 1));
        int at = e.indexOf(anchor) + 1;
        for (int k = 0; k < seq.size(); k++) {
            TransportEvent t = seq.get(k);
            e.add(at + k, new TransportEvent(anchor.micros(), t.region(), t.write(), t.offset(), t.size(), t.value(), t.device()));
        }
        return e;
    }

    // ---- zoned, host-managed -----------------------------------------------------------------------------------

    /** virtio_blk_config.zoned.model (virtio 1.4 §5.2.4; spec layout virtio_blk_config, offset 92). */
    static final int ZONED_MODEL = 0x5c;
    static final int Z_HM = 1;

    /** ZONED offered in device_feature word 0; the driver reads model HM right after setting DRIVER. */
    static List<TransportEvent> zonedHm(List<TransportEvent> e) {
        e = change(e, nth(read(CommonField.DEVICE_FEATURE), 1), 0x30007e46L | 1L << 17);
        return insertAfter(e, read(CommonField.DEVICE_FEATURE),
                new TransportEvent(0, Region.DEVICE, false, ZONED_MODEL, 1, Z_HM, DEVICE));
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private static final String DEVICE = "virtio-blk";

    /** Events matching {@code p} after the first one matching {@code anchor} (for deleteAll). */
    static Predicate<TransportEvent> after(Predicate<TransportEvent> anchor, Predicate<TransportEvent> p) {
        boolean[] passed = {false};
        return t -> {
            boolean was = passed[0];
            if (anchor.test(t)) passed[0] = true;
            return was && p.test(t);
        };
    }

    private static int index(List<TransportEvent> e, Predicate<TransportEvent> p) {
        for (int i = 0; i < e.size(); i++) if (p.test(e.get(i))) return i;
        throw new IllegalArgumentException("no such event in the session");
    }

    private static TransportEvent w(CommonField f, long v) {
        return new TransportEvent(0, Region.COMMON, true, f.offset(), Math.min(4, f.width()), v, DEVICE);
    }

    private static TransportEvent r(CommonField f, long v) {
        return new TransportEvent(0, Region.COMMON, false, f.offset(), Math.min(4, f.width()), v, DEVICE);
    }

    private static TransportEvent w32(int offset, long v) {
        return new TransportEvent(0, Region.COMMON, true, offset, 4, v, DEVICE);
    }
}

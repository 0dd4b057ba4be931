package dev.pvkit.conformance.selftest;

import dev.pvkit.conformance.observe.CommonField;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.TransportEvent;
import dev.pvkit.conformance.observe.TransportEvent.Region;
import dev.pvkit.conformance.observe.Traces;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

import static dev.pvkit.conformance.selftest.WrongDriver.breaking;
import static dev.pvkit.conformance.selftest.WrongDriver.correct;

/**
 * Wrong (and correct) drivers for the transport checks, made from the recorded trace of the real Linux 6.1
 * virtio_blk driver ({@code linux-blk.trace}): each applies one edit to Linux's first probe (the session that
 * starts at Linux's first reset) and must break exactly the named requirement. The firmware's (SeaBIOS 1.16.2)
 * sessions are left out: SeaBIOS itself breaks DRV-INIT-003, DRV-PCI-019, DRV-CFG-001 and DRV-CFG-004 (see
 * {@code RecordedTraceVerdictsTest}), so only Linux's sessions make a clean base.
 */
final class TransportWrongDrivers {
    static final String TRACE = "linux-blk.trace";

    private TransportWrongDrivers() {
    }

    static List<WrongDriver> all() {
        return List.of(
                correct("Linux 6.1 virtio_blk as recorded (probe, rebind, probe after reboot)", () -> linux(e -> e)),
                breaking("DRV-INIT-001", "negotiates features before setting DRIVER", () -> linux(e -> moveAfter(e,
                        statusWrite(3), lastBefore(e, CommonField.DRIVER_FEATURE, statusWrite(0xb))))),
                breaking("DRV-INIT-002", "never resets: starts with ACKNOWLEDGE", () -> linux(e -> delete(e, statusWrite(0)))),
                breaking("DRV-INIT-003", "ACKNOWLEDGE and DRIVER in one write (status 3 right after the reset)",
                        () -> linux(e -> delete(e, statusWrite(1)))),
                breaking("DRV-INIT-004", "sets FEATURES_OK without reading device_feature",
                        () -> linux(e -> deleteAll(e, read(CommonField.DEVICE_FEATURE)))),
                breaking("DRV-INIT-006", "writes writeback (device config) before FEATURES_OK",
                        () -> linux(e -> insertAfter(e, statusWrite(3), deviceWrite(0x20, 1, 1)))),
                breaking("DRV-INIT-007", "accepts feature word 0 only after FEATURES_OK", () -> linux(e -> moveAfter(e,
                        firstWrite(CommonField.DRIVER_FEATURE_SELECT), 2, firstAfter(e, statusWrite(0xb), statusRead())))),
                breaking("DRV-INIT-008", "does not read status back after FEATURES_OK",
                        () -> linux(e -> delete(e, firstAfter(e, statusWrite(0xb), statusRead())))),
                breaking("DRV-INIT-010", "sets DRIVER_OK before setting up its queues", () -> linux(e -> moveBefore(e,
                        statusWrite(0xf), firstWrite(CommonField.QUEUE_SELECT)))),
                breaking("DRV-INIT-014", "notifies queue 0 before setting DRIVER_OK",
                        () -> linux(e -> insertBefore(e, statusWrite(0xf), notifyWrite(0)))),
                breaking("DRV-INIT-011", "selects a feature word again after DRIVER_OK",
                        () -> linux(e -> insertAfter(e, statusWrite(0xf), commonWrite(CommonField.DRIVER_FEATURE_SELECT, 0)))),
                breaking("DRV-STATUS-002", "clears FEATURES_OK when setting DRIVER_OK (writes 0x7 after 0xb)",
                        () -> linux(e -> change(e, statusWrite(0xf), 0x7))),
                breaking("DRV-FEAT-001", "accepts GEOMETRY (bit 4), which the device did not offer",
                        () -> linux(e -> change(e, firstWrite(CommonField.DRIVER_FEATURE), 0x30007e46L | 1 << 4))),
                breaking("DRV-FEAT-010", "does not accept VERSION_1", () -> linux(e -> change(e,
                        lastBefore(e, CommonField.DRIVER_FEATURE, statusWrite(0xb)), 0))),
                breaking("DRV-PCI-005", "writes queue_select with a 1-byte access",
                        () -> linux(e -> resize(e, firstWrite(CommonField.QUEUE_SELECT), 1))),
                breaking("DRV-PCI-015", "writes queue_notify_off", () -> linux(e -> insertAfter(e,
                        read(CommonField.QUEUE_NOTIFY_OFF), commonWrite(CommonField.QUEUE_NOTIFY_OFF, 0)))),
                breaking("DRV-PCI-017", "queue size 100 (not a power of two)",
                        () -> linux(e -> change(e, firstWrite(CommonField.QUEUE_SIZE), 100))),
                breaking("DRV-SPLIT-005", "queue size 65535 (above 32768)",
                        () -> linux(e -> change(e, firstWrite(CommonField.QUEUE_SIZE), 0xffff))),
                breaking("DRV-PCI-018", "enables queue 0 before writing its addresses", () -> linux(e -> insertBefore(e,
                        firstWrite(CommonField.QUEUE_DESC), commonWrite(CommonField.QUEUE_ENABLE, 1)))),
                breaking("DRV-PCI-020", "writes 0 to queue_enable",
                        () -> linux(e -> change(e, firstWrite(CommonField.QUEUE_ENABLE), 0))),
                breaking("DRV-PCI-019", "does not wait for the reset to read 0",
                        () -> linux(e -> deleteAll(e, before(statusWrite(1), statusRead())))),
                breaking("DRV-BLK-004", "reads writeback before FEATURES_OK",
                        () -> linux(e -> moveBefore(e, deviceRead(0x20), statusWrite(0xb)))),
                breaking("DRV-CFG-001", "reads capacity's two halves without a config_generation read before them",
                        () -> linux(e -> delete(e, read(CommonField.CONFIG_GENERATION)))),
                breaking("DRV-CFG-001", "reads capacity's high half first, without a config_generation read before them",
                        () -> linux(e -> moveBefore(delete(e, read(CommonField.CONFIG_GENERATION)), deviceRead(0x4), deviceRead(0x0)))),
                breaking("DRV-CFG-003", "does not repeat its reads when config_generation changed",
                        () -> linux(e -> change(e, nth(read(CommonField.CONFIG_GENERATION), 2), 1))),
                breaking("DRV-CFG-004", "reads geometry although GEOMETRY was not offered",
                        () -> linux(e -> insertAfter(e, statusWrite(0xb), deviceRead(0x10, 2, 0)))),
                breaking("DRV-NOTIFY-006", "does not read queue 0's MSI-X vector back",
                        () -> linux(e -> delete(e, read(CommonField.QUEUE_MSIX_VECTOR)))),
                breaking("DRV-RESET-001", "on unbind, tears down vectors before the reset reads 0",
                        () -> linuxRebind(e -> moveAfter(e, statusRead(), read(CommonField.CONFIG_MSIX_VECTOR)))));
    }

    // ---- the base: Linux's sessions of the recorded trace ------------------------------------------------------

    /**
     * The recorded trace without the firmware's sessions (lines 1–34 and 208–241: SeaBIOS at POST, after the reboot),
     * with {@code edit} applied to Linux's first probe (the events from Linux's first reset up to the next reset).
     */
    static List<Event> linux(UnaryOperator<List<TransportEvent>> edit) {
        return linuxSession(0, edit);
    }

    /** As {@link #linux}, with the edit applied to the rebind (Linux's second session). */
    static List<Event> linuxRebind(UnaryOperator<List<TransportEvent>> edit) {
        return linuxSession(1, edit);
    }

    private static List<Event> linuxSession(int which, UnaryOperator<List<TransportEvent>> edit) {
        List<TransportEvent> all = Traces.load(TRACE);
        List<TransportEvent> linux = new ArrayList<>();
        linux.addAll(all.subList(34, 207));   // lines 35–207: probe, rebind, reset at reboot
        linux.addAll(all.subList(241, 324));  // lines 242–324: probe after the reboot, reset at power-off
        List<Integer> resets = new ArrayList<>();
        for (int i = 0; i < linux.size(); i++) if (statusWrite(0).test(linux.get(i))) resets.add(i);
        int from = resets.get(which);
        int to = resets.get(which + 1);
        List<TransportEvent> session = edit.apply(new ArrayList<>(linux.subList(from, to)));
        List<Event> out = new ArrayList<>(linux.subList(0, from));
        out.addAll(session);
        out.addAll(linux.subList(to, linux.size()));
        return retime(out);
    }

    /** Timestamps strictly increasing in list order, so an edit's order is the events' order. */
    private static List<Event> retime(List<Event> events) {
        List<Event> out = new ArrayList<>();
        long last = Long.MIN_VALUE;
        for (Event e : events) {
            TransportEvent t = (TransportEvent) e;
            long m = Math.max(t.micros(), last + 1);
            out.add(new TransportEvent(m, t.region(), t.write(), t.offset(), t.size(), t.value(), t.device()));
            last = m;
        }
        return out;
    }

    // ---- finding events ----------------------------------------------------------------------------------------

    static Predicate<TransportEvent> statusWrite(long value) {
        return t -> t.isWriteOf(CommonField.DEVICE_STATUS) && t.value() == value;
    }

    static Predicate<TransportEvent> statusRead() {
        return t -> t.isReadOf(CommonField.DEVICE_STATUS);
    }

    static Predicate<TransportEvent> firstWrite(CommonField f) {
        return t -> t.isWriteOf(f);
    }

    static Predicate<TransportEvent> read(CommonField f) {
        return t -> t.isReadOf(f);
    }

    static Predicate<TransportEvent> deviceRead(int offset) {
        return t -> t.region() == Region.DEVICE && !t.write() && t.offset() == offset;
    }

    private static int index(List<TransportEvent> e, Predicate<TransportEvent> p) {
        for (int i = 0; i < e.size(); i++) if (p.test(e.get(i))) return i;
        throw new IllegalArgumentException("no such event in the session");
    }

    /** The first event matching {@code p} after the first one matching {@code anchor}. */
    static Predicate<TransportEvent> firstAfter(List<TransportEvent> e, Predicate<TransportEvent> anchor,
                                               Predicate<TransportEvent> p) {
        int from = index(e, anchor);
        for (int i = from + 1; i < e.size(); i++) {
            TransportEvent t = e.get(i);
            if (p.test(t)) return x -> x == t;
        }
        throw new IllegalArgumentException("no such event after the anchor");
    }

    /** The last write of {@code f} before the first event matching {@code anchor}. */
    static Predicate<TransportEvent> lastBefore(List<TransportEvent> e, CommonField f, Predicate<TransportEvent> anchor) {
        int to = index(e, anchor);
        for (int i = to - 1; i >= 0; i--) {
            TransportEvent t = e.get(i);
            if (t.isWriteOf(f)) return x -> x == t;
        }
        throw new IllegalArgumentException("no such write before the anchor");
    }

    /** Events matching {@code p} before the first one matching {@code anchor} (for {@link #deleteAll}). */
    static Predicate<TransportEvent> before(Predicate<TransportEvent> anchor, Predicate<TransportEvent> p) {
        boolean[] passed = {false};
        return t -> {
            if (anchor.test(t)) passed[0] = true;
            return !passed[0] && p.test(t);
        };
    }

    /** The {@code n}-th (1-based) event matching {@code p}. */
    static Predicate<TransportEvent> nth(Predicate<TransportEvent> p, int n) {
        int[] seen = {0};
        return t -> p.test(t) && ++seen[0] == n;
    }

    // ---- making events -----------------------------------------------------------------------------------------

    private static final String DEVICE = "virtio-blk";

    static TransportEvent commonWrite(CommonField f, long value) {
        return new TransportEvent(0, Region.COMMON, true, f.offset(), Math.min(f.width(), 4), value, DEVICE);
    }

    static TransportEvent notifyWrite(int queue) {
        return new TransportEvent(0, Region.NOTIFY, true, 0, 2, queue, DEVICE);
    }

    static TransportEvent deviceWrite(int offset, int size, long value) {
        return new TransportEvent(0, Region.DEVICE, true, offset, size, value, DEVICE);
    }

    static TransportEvent deviceRead(int offset, int size, long value) {
        return new TransportEvent(0, Region.DEVICE, false, offset, size, value, DEVICE);
    }

    // ---- edits (each returns the edited session; inserted events take their neighbour's time) ------------------

    static List<TransportEvent> delete(List<TransportEvent> e, Predicate<TransportEvent> p) {
        e.remove(index(e, p));
        return e;
    }

    static List<TransportEvent> deleteAll(List<TransportEvent> e, Predicate<TransportEvent> p) {
        List<TransportEvent> out = new ArrayList<>();
        for (TransportEvent t : e) if (!p.test(t)) out.add(t);
        if (out.size() == e.size()) throw new IllegalArgumentException("nothing to delete");
        return out;
    }

    static List<TransportEvent> change(List<TransportEvent> e, Predicate<TransportEvent> p, long value) {
        int i = index(e, p);
        TransportEvent t = e.get(i);
        e.set(i, new TransportEvent(t.micros(), t.region(), t.write(), t.offset(), t.size(), value, t.device()));
        return e;
    }

    static List<TransportEvent> resize(List<TransportEvent> e, Predicate<TransportEvent> p, int size) {
        int i = index(e, p);
        TransportEvent t = e.get(i);
        e.set(i, new TransportEvent(t.micros(), t.region(), t.write(), t.offset(), size, t.value(), t.device()));
        return e;
    }

    static List<TransportEvent> insertAfter(List<TransportEvent> e, Predicate<TransportEvent> anchor, TransportEvent n) {
        int i = index(e, anchor);
        e.add(i + 1, at(n, e.get(i).micros()));
        return e;
    }

    static List<TransportEvent> insertBefore(List<TransportEvent> e, Predicate<TransportEvent> anchor, TransportEvent n) {
        int i = index(e, anchor);
        e.add(i, at(n, i == 0 ? e.get(0).micros() : e.get(i - 1).micros()));
        return e;
    }

    /** Moves the first event matching {@code p} to just after the first one matching {@code anchor}. */
    static List<TransportEvent> moveAfter(List<TransportEvent> e, Predicate<TransportEvent> p, Predicate<TransportEvent> anchor) {
        return moveAfter(e, p, 1, anchor);
    }

    /** Moves {@code count} events, from the first matching {@code p}, to just after the first matching {@code anchor}. */
    static List<TransportEvent> moveAfter(List<TransportEvent> e, Predicate<TransportEvent> p, int count,
                                          Predicate<TransportEvent> anchor) {
        int from = index(e, p);
        List<TransportEvent> moved = new ArrayList<>(e.subList(from, from + count));
        e.subList(from, from + count).clear();
        int a = index(e, anchor);
        long m = e.get(a).micros();
        for (int k = 0; k < moved.size(); k++) e.add(a + 1 + k, at(moved.get(k), m));
        return e;
    }

    /** Moves the first event matching {@code p} to just before the first one matching {@code anchor}. */
    static List<TransportEvent> moveBefore(List<TransportEvent> e, Predicate<TransportEvent> p, Predicate<TransportEvent> anchor) {
        TransportEvent t = e.remove(index(e, p));
        int a = index(e, anchor);
        e.add(a, at(t, a == 0 ? e.get(0).micros() : e.get(a - 1).micros()));
        return e;
    }

    private static TransportEvent at(TransportEvent t, long micros) {
        return new TransportEvent(micros, t.region(), t.write(), t.offset(), t.size(), t.value(), t.device());
    }
}

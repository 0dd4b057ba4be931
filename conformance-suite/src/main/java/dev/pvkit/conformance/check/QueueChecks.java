package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.CommonField;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.TransportEvent;
import dev.pvkit.sdk.virtio.VirtioFeatures;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Virtqueue configuration through the common configuration (areas PCI and SPLIT): the register writes of
 * queue set-up, per queue_select value, and how the driver uses the common configuration's fields.
 */
public final class QueueChecks implements Check {
    /** MUST access each field with its own width, aligned. */
    public static final String FIELD_WIDTH = "DRV-PCI-005";
    /** MUST NOT write read-only common-configuration fields. */
    public static final String NO_READ_ONLY_WRITE = "DRV-PCI-015";
    /** MUST NOT write 0 to queue_size with RING_PACKED. */
    public static final String PACKED_SIZE_NOT_ZERO = "DRV-PCI-016";
    /** MUST NOT write a queue_size that is not a power of two without RING_PACKED. */
    public static final String SPLIT_SIZE_POWER_OF_TWO = "DRV-PCI-017";
    /** MUST write the queue's other fields before queue_enable. */
    public static final String FIELDS_BEFORE_ENABLE = "DRV-PCI-018";
    /** MUST NOT write 0 to queue_enable. */
    public static final String NO_QUEUE_DISABLE = "DRV-PCI-020";
    /** Sizes above this are DRV-SPLIT-005's ({@link QueueSizeLimitCheck}, which sees them in the trace and over vhost-user). */
    static final int MAX_SPLIT_SIZE = 32768;
    private static final Set<CommonField> READ_ONLY = EnumSet.of(CommonField.DEVICE_FEATURE, CommonField.NUM_QUEUES,
            CommonField.CONFIG_GENERATION, CommonField.QUEUE_NOTIFY_OFF, CommonField.QUEUE_NOTIF_CONFIG_DATA);
    private static final List<CommonField> ADDRESSES = List.of(CommonField.QUEUE_DESC, CommonField.QUEUE_DRIVER,
            CommonField.QUEUE_DEVICE);

    @Override
    public Set<String> decides() {
        return Set.of(FIELD_WIDTH, NO_READ_ONLY_WRITE, PACKED_SIZE_NOT_ZERO, SPLIT_SIZE_POWER_OF_TWO,
                FIELDS_BEFORE_ENABLE, NO_QUEUE_DISABLE);
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        Map<Long, Set<CommonField>> written = new HashMap<>();
        // Queues reset with queue_reset under RING_RESET: their re-enable is DRV-RESET-004's (QueueResetChecks).
        Set<Long> queueReset = new java.util.HashSet<>();
        PciRegisters.replay(session, (t, r) -> {
            CommonField f = t.commonField();
            if (f == null) return;
            checkWidth(t, f, findings);
            if (!t.write()) return;
            if (PciRegisters.isReset(t)) {
                written.clear();
                queueReset.clear();
            }
            if (READ_ONLY.contains(f)) {
                findings.broke(NO_READ_ONLY_WRITE, -1, t, String.format("wrote 0x%x to %s, a field the driver only"
                        + " reads; the rule forbids writing it", t.value(), f.fieldName()));
            } else {
                findings.kept(NO_READ_ONLY_WRITE, t);
            }
            int q = (int) r.queueSelect();
            Set<CommonField> fields = written.computeIfAbsent(r.queueSelect(), k -> EnumSet.noneOf(CommonField.class));
            switch (f) {
                case QUEUE_DESC, QUEUE_DRIVER, QUEUE_DEVICE -> fields.add(f);
                case QUEUE_RESET -> {
                    if (t.value() == 1) fields.clear();
                    if (QueueResetChecks.isQueueReset(t, r)) queueReset.add(r.queueSelect());
                }
                case QUEUE_SIZE -> checkSize(t, r, q, findings);
                case QUEUE_ENABLE -> {
                    if (t.value() == 0) {
                        findings.broke(NO_QUEUE_DISABLE, q, t, String.format("wrote 0 to queue_enable of queue %d; the"
                                + " rule forbids it (a queue is stopped by a reset, not by clearing queue_enable)", q));
                        return;
                    }
                    findings.kept(NO_QUEUE_DISABLE, t);
                    if (queueReset.remove(r.queueSelect())) return;
                    List<String> missing = ADDRESSES.stream().filter(a -> !fields.contains(a)).map(CommonField::fieldName).toList();
                    if (missing.isEmpty()) findings.kept(FIELDS_BEFORE_ENABLE, t);
                    else findings.broke(FIELDS_BEFORE_ENABLE, q, t, String.format("enabled queue %d before writing its %s;"
                            + " the rule asks for the queue's other fields to be written before queue_enable", q,
                            String.join(", ", missing)));
                }
                default -> { }
            }
        });
    }

    private static void checkSize(TransportEvent t, PciRegisters r, int q, Findings findings) {
        java.util.Optional<Boolean> packed = r.accepts(VirtioFeatures.RING_PACKED);
        if (packed.isEmpty()) return;
        long size = t.value();
        if (packed.get()) {
            if (size == 0) findings.broke(PACKED_SIZE_NOT_ZERO, q, t, String.format("wrote queue_size 0 for queue %d"
                    + " with RING_PACKED accepted; the rule forbids size 0", q));
            else findings.kept(PACKED_SIZE_NOT_ZERO, t);
            return;
        }
        // Above 32768 every 16-bit size is also not a power of two: one finding, the size limit's.
        if (size > MAX_SPLIT_SIZE) return;
        if (size == 0 || (size & (size - 1)) != 0) {
            findings.broke(SPLIT_SIZE_POWER_OF_TWO, q, t, String.format("wrote queue_size %d for queue %d without"
                    + " RING_PACKED accepted; the rule asks for a power of two", size, q));
        } else {
            findings.kept(SPLIT_SIZE_POWER_OF_TWO, t);
        }
    }

    private static void checkWidth(TransportEvent t, CommonField f, Findings findings) {
        int rel = t.offset() - f.offset();
        boolean ok = f.width() == 8 ? t.size() == 4 && (rel == 0 || rel == 4) : t.size() == f.width() && rel == 0;
        if (ok) {
            findings.kept(FIELD_WIDTH, t);
        } else {
            findings.broke(FIELD_WIDTH, -1, t, String.format("%s %s with a %d-byte access at offset 0x%x; the rule asks"
                            + " for %s", t.write() ? "wrote" : "read", f.fieldName(), t.size(), t.offset(),
                    f.width() == 8 ? "aligned 32-bit accesses to its two halves" : "one aligned " + 8 * f.width()
                            + "-bit access at 0x" + Integer.toHexString(f.offset())));
        }
    }
}

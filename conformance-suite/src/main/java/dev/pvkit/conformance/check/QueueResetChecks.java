package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.CommonField;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.TransportEvent;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Resetting one virtqueue with VIRTIO_F_RING_RESET (area RESET; virtio 1.4 §2.6.1, PCI form §4.1.4.3.2): the driver
 * writes 1 to {@code queue_reset} (common configuration offset 0x3a) with the queue selected; the device presents 1
 * there while the reset is under way and 0 once it is done, so the driver reads {@code queue_reset} until it returns
 * 0. Re-enabling is the single-queue version of initial discovery: the three ring addresses (and optionally a new
 * size) are written again before {@code queue_enable} is written 1.
 *
 * <p>Judged only while RING_RESET is negotiated (accepted in driver_feature word 1 and FEATURES_OK set): without it
 * the field does not exist. DRV-RESET-002 is judged at the driver's first write that sets the reset queue up again
 * ({@code queue_size}, an address, {@code queue_msix_vector} or {@code queue_enable} with that queue selected): it
 * keeps the rule when a read of {@code queue_reset} with that queue selected returned 0 before it. A driver that
 * resets the queue and never touches it again (or resets the whole device) shows nothing and is not judged.
 *
 * <p>DRV-PCI-021 (with RING_RESET, do not treat the reset as done before {@code queue_reset} reads back 0) is the PCI
 * wording of the same act as DRV-RESET-002 (verify that the queue reset took effect): on this transport that
 * verification is exactly the read of 0. One act gets one finding, so only DRV-RESET-002 is decided, the
 * transport-neutral requirement of the RESET area that a certification counts.
 *
 * <p>DRV-RESET-004 is judged at the {@code queue_enable} write of 1 that re-enables a reset queue: its three ring
 * addresses must have been written since the {@code queue_reset} write. Writing {@code queue_size} is not asked:
 * initial discovery writes it only to choose a smaller size. Such an enable is this check's, not DRV-PCI-018's
 * ({@link QueueChecks} leaves the re-enable of a reset queue to it), so a missing address is one finding.
 */
public final class QueueResetChecks implements Check {
    /** MUST confirm that a virtqueue reset it requested has taken effect. */
    public static final String RESET_CONFIRMED = "DRV-RESET-002";
    /** MUST set a re-enabled virtqueue up as during initial queue discovery. */
    public static final String REENABLE_AS_DISCOVERY = "DRV-RESET-004";
    /** VIRTIO_F_RING_RESET (virtio 1.4 §6, spec group virtio.feature). */
    static final int F_RING_RESET = 40;
    private static final List<CommonField> ADDRESSES = List.of(CommonField.QUEUE_DESC, CommonField.QUEUE_DRIVER,
            CommonField.QUEUE_DEVICE);

    @Override
    public Set<String> decides() {
        return Set.of(RESET_CONFIRMED, REENABLE_AS_DISCOVERY);
    }

    @Override
    public String name() {
        return "virtqueue reset";
    }

    /** Whether VIRTIO_F_RING_RESET is negotiated: accepted, and FEATURES_OK set. */
    static boolean ringReset(PciRegisters r) {
        return r.featuresOk() && r.accepts(F_RING_RESET).orElse(false);
    }

    /** Whether {@code t} is a write of 1 to queue_reset while RING_RESET is negotiated: a queue reset request. */
    static boolean isQueueReset(TransportEvent t, PciRegisters r) {
        return t.isWriteOf(CommonField.QUEUE_RESET) && t.value() == 1 && ringReset(r);
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        /* queue → the queue_reset write not yet confirmed by a read of 0 */
        Map<Long, TransportEvent> unconfirmed = new HashMap<>();
        /* queue → (its queue_reset write, addresses written since) until the queue is enabled again */
        Map<Long, TransportEvent> resetAt = new HashMap<>();
        Map<Long, Set<CommonField>> written = new HashMap<>();
        PciRegisters.replay(session, (t, r) -> {
            if (PciRegisters.isReset(t)) {
                unconfirmed.clear();
                resetAt.clear();
                written.clear();
                return;
            }
            CommonField f = t.commonField();
            if (f == null) return;
            long q = r.queueSelect();
            if (isQueueReset(t, r)) {
                unconfirmed.putIfAbsent(q, t);
                resetAt.put(q, t);
                written.put(q, EnumSet.noneOf(CommonField.class));
                return;
            }
            if (t.isReadOf(CommonField.QUEUE_RESET) && t.value() == 0) {
                TransportEvent req = unconfirmed.remove(q);
                if (req != null) findings.kept(RESET_CONFIRMED, t);
                return;
            }
            if (!t.write()) return;
            boolean setUp = switch (f) {
                case QUEUE_SIZE, QUEUE_MSIX_VECTOR, QUEUE_DESC, QUEUE_DRIVER, QUEUE_DEVICE, QUEUE_ENABLE -> true;
                default -> false;
            };
            if (!setUp) return;
            TransportEvent req = unconfirmed.remove(q);
            if (req != null) {
                findings.broke(RESET_CONFIRMED, (int) q, List.of(t, req), String.format(
                        "reset queue %d (wrote 1 to queue_reset) and then wrote %s for it before any read of queue_reset"
                                + " returned 0; the rule asks the driver to confirm that the reset took effect (queue_reset"
                                + " reads 0) first", q, f.fieldName()));
            }
            if (!resetAt.containsKey(q)) return;
            if (ADDRESSES.contains(f)) written.get(q).add(f);
            if (f != CommonField.QUEUE_ENABLE || t.value() != 1) return;
            TransportEvent reset = resetAt.remove(q);
            List<String> missing = ADDRESSES.stream().filter(a -> !written.get(q).contains(a))
                    .map(CommonField::fieldName).toList();
            written.remove(q);
            if (missing.isEmpty()) findings.kept(REENABLE_AS_DISCOVERY, t);
            else findings.broke(REENABLE_AS_DISCOVERY, (int) q, List.of(t, reset), String.format(
                    "re-enabled queue %d after its reset without writing its %s again; the rule asks for the queue to be"
                            + " set up as in initial discovery (ring addresses, then queue_enable)", q,
                    String.join(", ", missing)));
        });
    }
}

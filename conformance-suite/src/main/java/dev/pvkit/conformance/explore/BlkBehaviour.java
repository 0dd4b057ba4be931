package dev.pvkit.conformance.explore;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.pvkit.backends.blk.BlkOptions;

import java.util.Map;
import java.util.TreeMap;

/**
 * One legal way for a virtio-blk device to behave: what it offers (fixed for a driver session) and how it serves
 * (may change at any time). Every choice is one the spec leaves to the device.
 *
 * @param packed         offer VIRTIO_F_RING_PACKED (else split rings only)
 * @param queueSize      the largest ring the device accepts
 * @param eventIdx       offer VIRTIO_F_EVENT_IDX
 * @param indirect       offer VIRTIO_F_INDIRECT_DESC
 * @param readOnly       offer VIRTIO_BLK_F_RO
 * @param segMax         {@code seg_max}: the most data buffers per request
 * @param completions    the order in which held requests are given back
 * @param batch          requests held before they are given back together (1: each at once)
 * @param delayMicros    the longest a request is held waiting for its batch
 * @param oneAtATime     give a batch back one request per notification, in order, rather than all in one
 * @param failures       request ordinals (0-based, in the order the device takes them) answered with a failure
 * @param capacityChange the request ordinal after which the disk grows and the device says so, or -1
 * @param spurious       while requests are held (batch above 1, a hold time), also send notifications with nothing new
 *                       where the driver allows them; the hold lasts until they are sent
 * @param seed           what a shuffle draws from
 * @param geometry       the configuration values offered (block size, topology, discard and write-zeroes limits);
 *                       null for the reference back-end's own ({@link BlkGeometry#plain})
 */
public record BlkBehaviour(boolean packed, int queueSize, boolean eventIdx, boolean indirect, boolean readOnly, int segMax,
                           Completions completions, int batch, int delayMicros, boolean oneAtATime, Map<Integer, InjectedStatus> failures,
                           int capacityChange, boolean spurious, long seed,
                           @JsonInclude(JsonInclude.Include.NON_NULL) BlkGeometry geometry) implements RequestHold.Terms {

    public BlkBehaviour {
        if (queueSize < 2 || queueSize > 32768) throw new IllegalArgumentException("queue size " + queueSize + " outside 2..32768");
        if (!packed && Integer.bitCount(queueSize) != 1) throw new IllegalArgumentException("split queue size " + queueSize + " is not a power of 2");
        if (segMax < 1) throw new IllegalArgumentException("seg_max " + segMax + " below 1");
        if (batch < 1 || delayMicros < 0) throw new IllegalArgumentException("batch below 1 or negative delay");
        failures = new TreeMap<>(failures);
        if (BlkGeometry.plain().equals(geometry)) geometry = null; // one spelling for the plain device: its replay words stay as they were
    }

    /** What a device does when nothing is generated: the reference back-end's defaults, serving each request at once. */
    public static BlkBehaviour plain() {
        return new BlkBehaviour(false, 256, true, true, false, BlkOptions.DEFAULT_SEG_MAX, Completions.IN_ORDER, 1, 0, false, Map.of(), -1, false, 0, null);
    }

    public BlkBehaviour withPacked(boolean p) {
        return new BlkBehaviour(p, queueSize, eventIdx, indirect, readOnly, segMax, completions, batch, delayMicros, oneAtATime, failures, capacityChange, spurious, seed, geometry);
    }

    /** This serving behaviour with {@code device}'s offer: what one driver session can be given. */
    public BlkBehaviour withOffer(BlkBehaviour device) {
        return new BlkBehaviour(device.packed, device.queueSize, device.eventIdx, device.indirect, device.readOnly, device.segMax,
                completions, batch, delayMicros, oneAtATime, failures, capacityChange, spurious, seed, device.geometry);
    }

    /** This behaviour offering {@code g} (null: the plain values). */
    public BlkBehaviour withGeometry(BlkGeometry g) {
        return new BlkBehaviour(packed, queueSize, eventIdx, indirect, readOnly, segMax, completions, batch, delayMicros, oneAtATime, failures, capacityChange, spurious, seed, g);
    }

    /** The configuration values offered: {@link #geometry} or, when it is null, the plain ones. */
    public BlkGeometry offeredGeometry() {
        return geometry == null ? BlkGeometry.plain() : geometry;
    }

    public BlkBehaviour withReadOnly(boolean ro) {
        return new BlkBehaviour(packed, queueSize, eventIdx, indirect, ro, segMax, completions, batch, delayMicros, oneAtATime, failures, capacityChange, spurious, seed, geometry);
    }

    /** The failure injected into request {@code ordinal}, or null when it is served. */
    public InjectedStatus failureOf(int ordinal) {
        return failures.get(ordinal);
    }

    /** What a driver session sees fixed: the offered features and limits. Cases that share it can share a boot. */
    public String offerKey() {
        return (packed ? "packed" : "split") + "/q" + queueSize + (eventIdx ? "/event_idx" : "") + (indirect ? "/indirect" : "")
                + (readOnly ? "/ro" : "") + "/seg_max=" + segMax + (geometry == null ? "" : "/" + geometry);
    }
}

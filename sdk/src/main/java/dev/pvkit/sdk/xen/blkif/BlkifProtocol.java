package dev.pvkit.sdk.xen.blkif;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The ring layouts a front-end's {@code protocol} node names (spec §9.3): x86_64 and Arm share the native layout
 * (112-byte slots); x86_32 packs 64-bit fields at 4-byte alignment (108-byte requests, 12-byte responses). A
 * back-end decodes whichever the front-end declared [DEV-XBLK-012].
 */
public enum BlkifProtocol {
    X86_64("x86_64-abi", 112, 8, 16, 24, 24, 28, 16),
    X86_32("x86_32-abi", 108, 4, 12, 20, 20, 24, 12),
    ARM("arm-abi", 112, 8, 16, 24, 24, 28, 16);

    private final String node;
    private final int slotSize;
    private final int idAt;
    private final int sectorAt;
    private final int segmentsAt;
    private final int indirectHandleAt;
    private final int indirectRefsAt;
    private final int responseSize;

    BlkifProtocol(String node, int slotSize, int idAt, int sectorAt, int segmentsAt, int indirectHandleAt,
                  int indirectRefsAt, int responseSize) {
        this.node = node;
        this.slotSize = slotSize;
        this.idAt = idAt;
        this.sectorAt = sectorAt;
        this.segmentsAt = segmentsAt;
        this.indirectHandleAt = indirectHandleAt;
        this.indirectRefsAt = indirectRefsAt;
        this.responseSize = responseSize;
    }

    /** The value of the {@code protocol} node. */
    public String node() {
        return node;
    }

    /** The slot size: the larger of request and response. */
    public int slotSize() {
        return slotSize;
    }

    public int responseSize() {
        return responseSize;
    }

    /** The protocol a node names; an absent node means the back-end's native ABI (x86_64 here). */
    public static Optional<BlkifProtocol> of(Optional<String> nodeValue) {
        if (nodeValue.isEmpty()) return Optional.of(X86_64);
        // A C front-end may store the terminating NUL too; the name is what counts.
        String name = nodeValue.get().replaceAll("\u0000+$", "");
        for (BlkifProtocol p : values()) if (p.node.equals(name)) return Optional.of(p);
        return Optional.empty();
    }

    /**
     * Decodes a request from the private copy of its slot (little-endian, position 0). Segment counts are not
     * validated here; at most the slot's 11 segment entries are read, whatever {@code nr_segments} says.
     */
    public BlkifRequest decode(ByteBuffer slot) {
        slot.order(ByteOrder.LITTLE_ENDIAN);
        int op = slot.get(0) & 0xff;
        long id = slot.getLong(idAt);
        long sector = slot.getLong(sectorAt);
        switch (op) {
            case BlkifOp.DISCARD -> {
                return new BlkifRequest(op, 0, slot.getShort(2) & 0xffff, id, sector, List.of(), slot.get(1) & 0xff,
                        slot.getLong(segmentsAt), 0, new int[0]);
            }
            case BlkifOp.INDIRECT -> {
                int nr = slot.getShort(2) & 0xffff;
                int[] refs = new int[BlkifOp.MAX_INDIRECT_PAGES];
                for (int i = 0; i < refs.length; i++) refs[i] = slot.getInt(indirectRefsAt + 4 * i);
                return new BlkifRequest(op, nr, slot.getShort(indirectHandleAt) & 0xffff, id, sector, List.of(), 0, 0,
                        slot.get(1) & 0xff, refs);
            }
            default -> {
                int nr = slot.get(1) & 0xff;
                List<BlkifRequest.Segment> segs = new ArrayList<>();
                for (int i = 0; i < Math.min(nr, BlkifOp.MAX_DIRECT_SEGMENTS); i++) segs.add(segment(slot, segmentsAt + 8 * i));
                return new BlkifRequest(op, nr, slot.getShort(2) & 0xffff, id, sector, segs, 0, 0, 0, new int[0]);
            }
        }
    }

    /** A segment descriptor (8 bytes, the same in every ABI): {@code gref} u32, {@code first_sect}, {@code last_sect}. */
    public static BlkifRequest.Segment segment(ByteBuffer b, int at) {
        return new BlkifRequest.Segment(b.getInt(at), b.get(at + 4) & 0xff, b.get(at + 5) & 0xff);
    }

    /** Writes the response for ({@code id}, {@code op}) into {@code dst} (cleared first) and flips it. */
    public ByteBuffer encodeResponse(ByteBuffer dst, long id, int op, int status) {
        dst.clear().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < responseSize; i++) dst.put(i, (byte) 0);
        dst.putLong(0, id);
        dst.put(8, (byte) op);
        dst.putShort(10, (short) status);
        return dst.limit(responseSize).position(0);
    }

    /**
     * Encodes {@code r} in this ABI into {@code slot} (cleared, zero-filled to a slot first) and flips it: what a
     * front-end writes into a request slot. Direct requests carry their segments; INDIRECT its page references.
     */
    public ByteBuffer encodeRequest(ByteBuffer slot, BlkifRequest r) {
        slot.clear().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < slotSize; i++) slot.put(i, (byte) 0);
        slot.put(0, (byte) r.operation());
        slot.putLong(idAt, r.id());
        slot.putLong(sectorAt, r.sector());
        switch (r.operation()) {
            case BlkifOp.DISCARD -> {
                slot.put(1, (byte) r.discardFlags());
                slot.putShort(2, (short) r.handle());
                slot.putLong(segmentsAt, r.discardSectors());
            }
            case BlkifOp.INDIRECT -> {
                slot.put(1, (byte) r.indirectOp());
                slot.putShort(2, (short) r.nrSegments());
                slot.putShort(indirectHandleAt, (short) r.handle());
                int[] refs = r.indirectRefs();
                for (int i = 0; i < Math.min(refs.length, BlkifOp.MAX_INDIRECT_PAGES); i++) slot.putInt(indirectRefsAt + 4 * i, refs[i]);
            }
            default -> {
                slot.put(1, (byte) r.nrSegments());
                slot.putShort(2, (short) r.handle());
                for (int i = 0; i < Math.min(r.segments().size(), BlkifOp.MAX_DIRECT_SEGMENTS); i++) {
                    putSegment(slot, segmentsAt + 8 * i, r.segments().get(i));
                }
            }
        }
        return slot.limit(slotSize).position(0);
    }

    /** Writes a segment descriptor at {@code at} (direct slots and indirect pages alike). */
    public static void putSegment(ByteBuffer b, int at, BlkifRequest.Segment s) {
        b.putInt(at, s.ref());
        b.put(at + 4, (byte) s.firstSect());
        b.put(at + 5, (byte) s.lastSect());
        b.putShort(at + 6, (short) 0);
    }

    /** A response as a front-end reads it back: {@code [id, operation, status]}. */
    public long[] decodeResponse(ByteBuffer slot) {
        slot.order(ByteOrder.LITTLE_ENDIAN);
        return new long[]{slot.getLong(0), slot.get(8) & 0xff, slot.getShort(10)};
    }
}

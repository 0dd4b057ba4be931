package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.MemoryRegion;
import dev.pvkit.sdk.memory.WriteObserver;
import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.os.MappedMemory;
import dev.pvkit.sdk.os.Syscalls;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static dev.pvkit.sdk.vhostuser.ProtocolViolation.violation;

/**
 * The guest memory regions the front-end shared (SET_MEM_TABLE, ADD_MEM_REG, REM_MEM_REG), each mapped at its own
 * file offset. Every change builds a whole new {@link GuestMemory} and moves the rings to it; a region's mapping
 * belongs to the session and is unmapped when the region leaves the map. Used by the control thread only.
 */
final class MemoryRegions implements AutoCloseable {
    static final int MAX_SLOTS = 509;

    private final Rings rings;
    private final WriteObserver writes;
    private final BackendObserver observer;
    private final ShrinkSeals seals;
    private final List<MemoryRegion> mappings = new ArrayList<>();
    /**
     * How many more times than once each region was added. QEMU serves a multiqueue vhost-user-net device as one
     * vhost device per queue pair over the same connection, and with CONFIGURE_MEM_SLOTS each of them adds (and later
     * removes) every region itself: the same region arrives once per pair, and stays until each has removed it.
     */
    private final Map<MemoryRegion, Integer> repeats = new IdentityHashMap<>();

    /** {@code writes} is told of every write into the memory this builds (the dirty log). */
    MemoryRegions(Rings rings, WriteObserver writes, BackendObserver observer, ShrinkSeals seals) {
        this.rings = rings;
        this.seals = seals;
        this.writes = writes;
        this.observer = observer;
    }

    int count() {
        return mappings.size();
    }

    /** SET_MEM_TABLE: the given regions, whose files are {@code m}'s descriptors in order, replace all others. */
    void setTable(Bodies.MemoryTable t, Message m) {
        List<MemoryRegion> fresh = new ArrayList<>();
        try {
            for (int i = 0; i < t.regions().size(); i++) fresh.add(map(FrontendRequest.SET_MEM_TABLE, t.regions().get(i), m.takeFd(i)));
            swap(FrontendRequest.SET_MEM_TABLE, fresh, List.copyOf(mappings));
            repeats.clear();
        } catch (RuntimeException e) {
            for (MemoryRegion r : fresh) unmapUnlessMapped(r);
            throw e;
        }
    }

    /**
     * ADD_MEM_REG: {@code region}, whose file is {@code m}'s descriptor, joins the others. The same region again (same
     * guest address, size and user address) is counted, not mapped twice; returns whether the region was new.
     */
    boolean add(Bodies.Region region, Message m) {
        MemoryRegion same = find(region);
        if (same != null) {
            Syscalls.closeQuietly(m.takeFd(0));
            repeats.merge(same, 1, Integer::sum);
            return false;
        }
        if (mappings.size() >= MAX_SLOTS) throw violation(FrontendRequest.ADD_MEM_REG, VhostUserRule.MEMORY_SLOTS, "all " + MAX_SLOTS + " slots in use");
        MemoryRegion added = map(FrontendRequest.ADD_MEM_REG, region, m.takeFd(0));
        List<MemoryRegion> next = new ArrayList<>(mappings);
        next.add(added);
        try {
            swap(FrontendRequest.ADD_MEM_REG, next, List.of());
        } catch (RuntimeException e) {
            unmapUnlessMapped(added);
            throw e;
        }
        return true;
    }

    /**
     * REM_MEM_REG: the region with {@code region}'s address, size and user address leaves the map, once removed as
     * many times as it was added. Returns whether it left.
     */
    boolean remove(Bodies.Region region) {
        MemoryRegion gone = find(region);
        if (gone == null) {
            throw violation(FrontendRequest.REM_MEM_REG, VhostUserRule.UNKNOWN_REGION,
                    String.format("no region at 0x%x+%d", region.guestPhysical(), region.size()));
        }
        Integer more = repeats.get(gone);
        if (more != null) {
            if (more == 1) repeats.remove(gone);
            else repeats.put(gone, more - 1);
            return false;
        }
        List<MemoryRegion> next = new ArrayList<>(mappings);
        next.remove(gone);
        swap(FrontendRequest.REM_MEM_REG, next, List.of(gone));
        return true;
    }

    private MemoryRegion find(Bodies.Region region) {
        for (MemoryRegion x : mappings) {
            if (x.guestPhysical() == region.guestPhysical() && x.size() == region.size() && x.userAddress() == region.userAddress()) return x;
        }
        return null;
    }

    /** Unmaps every region; the rings must be closed first. */
    @Override
    public void close() {
        mappings.forEach(MemoryRegions::unmap);
        mappings.clear();
        repeats.clear();
    }

    /**
     * Maps one region after checking its arithmetic and that its file really is that large. Only the region's own
     * pages are mapped, at its file offset: QEMU shares all guest RAM as one file and sends one region per piece of
     * it (below and above the PCI hole, around ROMs), so mapping each from file offset 0 would map the file again
     * and again, up to the region's end, and hand the device every byte below its region too.
     */
    private MemoryRegion map(FrontendRequest r, Bodies.Region region, int fd) {
        try {
            long size = region.size();
            if (size > 0 && (region.guestPhysical() < 0 || region.guestPhysical() > Long.MAX_VALUE - size
                    || Long.compareUnsigned(region.userAddress(), -1L - size) > 0)) {
                throw violation(r, VhostUserRule.REGION_ARITHMETIC, String.format("region 0x%x+%d or user address 0x%x wraps",
                        region.guestPhysical(), size, region.userAddress()));
            }
            MappedMemory mapping = SharedFile.map(r, SharedFile.Kind.REGION, fd, region.mmapOffset(), size, seals);
            try {
                return new MemoryRegion(region.guestPhysical(), size, region.userAddress(), mapping);
            } catch (RuntimeException e) {
                mapping.close();
                throw e;
            }
        } finally {
            Syscalls.closeQuietly(fd); // the mapping outlives the descriptor
        }
    }

    private static void unmap(MemoryRegion region) {
        region.mapping().close();
    }

    /**
     * An error path's clean-up: unmaps a region made for a change that failed — unless the change got as far as
     * installing it (an exception after the commit), as then the rings run on it.
     */
    private void unmapUnlessMapped(MemoryRegion region) {
        for (MemoryRegion r : mappings) {
            if (r == region) return;
        }
        unmap(region);
    }

    /**
     * Installs a new memory map: the rings move to it while all are locked, and the old mappings are unmapped only
     * after all rings let go of them. A map the rings cannot move to is refused before anything changes.
     */
    private void swap(FrontendRequest cause, List<MemoryRegion> next, List<MemoryRegion> retired) {
        GuestMemory fresh;
        try {
            fresh = GuestMemory.of(next).withWriteObserver(writes);
        } catch (IllegalArgumentException e) {
            throw violation(cause, VhostUserRule.OVERLAPPING_REGIONS, e.getMessage());
        }
        rings.moveTo(cause, fresh, () -> {
            mappings.clear();
            mappings.addAll(next);
            retired.forEach(MemoryRegions::unmap);
        });
        observer.memoryMapped(next.stream().map(x -> new long[]{x.guestPhysical(), x.size()}).toArray(long[][]::new));
    }
}

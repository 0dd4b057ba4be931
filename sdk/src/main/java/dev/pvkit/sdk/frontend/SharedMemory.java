package dev.pvkit.sdk.frontend;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.MemoryRegion;
import dev.pvkit.sdk.memory.OwnedGuestMemory;

import java.util.ArrayList;
import java.util.List;

/**
 * Guest RAM as a front-end shares it over vhost-user: each region of the guest's memory map with the file behind
 * it and the region's offset in that file (the {@code mmap_offset} of SET_MEM_TABLE and ADD_MEM_REG). Does not
 * own the files or mappings.
 */
public final class SharedMemory {

    /** One region, the descriptor of its file and where in that file the region starts. */
    public record SharedRegion(MemoryRegion region, int fd, long fileOffset) {
    }

    private final List<SharedRegion> regions;
    private final GuestMemory memory;

    public SharedMemory(List<SharedRegion> regions) {
        this(regions, GuestMemory.of(regions.stream().map(SharedRegion::region).toList()));
    }

    private SharedMemory(List<SharedRegion> regions, GuestMemory memory) {
        this.regions = List.copyOf(regions);
        this.memory = memory;
    }

    /** Memfd-backed guest memory: one file per region, each region at file offset 0. */
    public static SharedMemory of(OwnedGuestMemory guest) {
        List<MemoryRegion> map = guest.memory().regions();
        if (guest.files().size() != map.size()) throw new IllegalArgumentException("guest memory is not memfd-backed");
        List<SharedRegion> shared = new ArrayList<>();
        for (MemoryRegion r : map) {
            // regions() is sorted by guest address while files() follows creation order: match through the mapping.
            int k = 0;
            while (k < map.size() && guest.mappingOf(k).address() != r.mapping().address()) k++;
            if (k == map.size()) throw new IllegalStateException("no memfd behind region at 0x" + Long.toHexString(r.guestPhysical()));
            shared.add(new SharedRegion(r, guest.files().get(k).fd(), 0));
        }
        return new SharedMemory(shared, guest.memory()); // the guest's own map: the driver sees what the test sees
    }

    public List<SharedRegion> regions() {
        return regions;
    }

    /** The memory map of these regions, as the driver accesses it. */
    public GuestMemory memory() {
        return memory;
    }

    /** The first {@code n} regions alone, e.g. to share a few in SET_MEM_TABLE and add the rest one by one. */
    public SharedMemory first(int n) {
        return new SharedMemory(regions.subList(0, n));
    }

    /** The shared region holding guest-physical {@code gpa}. */
    public SharedRegion regionAt(long gpa) {
        for (SharedRegion s : regions) {
            if (gpa >= s.region().guestPhysical() && gpa < s.region().guestEnd()) return s;
        }
        throw new IllegalArgumentException(String.format("0x%x is not guest memory", gpa));
    }
}

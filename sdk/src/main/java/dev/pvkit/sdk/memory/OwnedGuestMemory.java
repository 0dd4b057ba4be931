package dev.pvkit.sdk.memory;

import dev.pvkit.sdk.os.MappedMemory;
import dev.pvkit.sdk.os.Memfd;

import java.util.ArrayList;
import java.util.List;

/**
 * Guest memory that this process allocates and owns: what tests, benchmarks and the Java front-end use to play
 * a guest. Closing it unmaps every region (and closes the memfds).
 */
public final class OwnedGuestMemory implements AutoCloseable {
    private final GuestMemory memory;
    private final List<MappedMemory> mappings;
    private final List<Memfd> files;

    private OwnedGuestMemory(GuestMemory memory, List<MappedMemory> mappings, List<Memfd> files) {
        this.memory = memory;
        this.mappings = mappings;
        this.files = files;
    }

    /** Where a region goes in guest-physical space, and how big it is. */
    public record Placement(long guestPhysical, long size) {
    }

    /** One anonymous-memory region of {@code size} bytes at guest-physical {@code guestPhysical}. */
    public static OwnedGuestMemory anonymous(long guestPhysical, long size) {
        return anonymous(List.of(new Placement(guestPhysical, size)));
    }

    /** Anonymous-memory regions; each one's front-end ("user") address is its own mapping address. */
    public static OwnedGuestMemory anonymous(List<Placement> placements) {
        List<MappedMemory> maps = new ArrayList<>();
        List<MemoryRegion> regions = new ArrayList<>();
        try {
            for (Placement p : placements) {
                MappedMemory m = MappedMemory.anonymous(p.size());
                maps.add(m);
                regions.add(new MemoryRegion(p.guestPhysical(), p.size(), m.address(), m));
            }
            return new OwnedGuestMemory(GuestMemory.of(regions), maps, List.of());
        } catch (RuntimeException e) {
            maps.forEach(MappedMemory::close);
            throw e;
        }
    }

    /** Memfd-backed regions, shareable with another process through their file descriptors. */
    public static OwnedGuestMemory memfd(List<Placement> placements) {
        List<MappedMemory> maps = new ArrayList<>();
        List<Memfd> fds = new ArrayList<>();
        List<MemoryRegion> regions = new ArrayList<>();
        try {
            for (Placement p : placements) {
                Memfd f = Memfd.create("pvkit-guest", p.size());
                fds.add(f);
                f.sealSize(); // like QEMU's memfd RAM: the back-end can count on every page it maps
                MappedMemory m = f.map();
                maps.add(m);
                regions.add(new MemoryRegion(p.guestPhysical(), p.size(), m.address(), m));
            }
            return new OwnedGuestMemory(GuestMemory.of(regions), maps, fds);
        } catch (RuntimeException e) {
            maps.forEach(MappedMemory::close);
            fds.forEach(Memfd::close);
            throw e;
        }
    }

    /** The mapping of the {@code i}-th region in creation order (the order of {@link #files()}). */
    public MappedMemory mappingOf(int i) {
        return mappings.get(i);
    }

    public GuestMemory memory() {
        return memory;
    }

    /** The memfds behind the regions, in region order (empty for anonymous memory). */
    public List<Memfd> files() {
        return List.copyOf(files);
    }

    @Override
    public void close() {
        mappings.forEach(MappedMemory::close);
        files.forEach(Memfd::close);
    }
}

package dev.pvkit.sdk.frontend;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.MemoryRegion;
import dev.pvkit.sdk.os.MappedMemory;
import dev.pvkit.sdk.os.Memfd;

import java.util.ArrayList;
import java.util.List;

/**
 * Guest RAM in one memfd, cut into regions at different file offsets: how QEMU shares a memory-backend-memfd
 * (RAM below the PCI hole at file offset 0, RAM above 4 GiB further into the same file). The front-end maps the
 * file once; each region's front-end address is that mapping plus the region's file offset. Closing unmaps the
 * file and closes it.
 */
public final class SingleFileGuest implements AutoCloseable {

    /** A region: where the guest sees it, how big it is, where in the file it lies. */
    public record Part(long guestPhysical, long size, long fileOffset) {
    }

    private final Memfd file;
    private final MappedMemory mapping;
    private final SharedMemory shared;

    private SingleFileGuest(Memfd file, MappedMemory mapping, SharedMemory shared) {
        this.file = file;
        this.mapping = mapping;
        this.shared = shared;
    }

    /** A {@code fileSize}-byte memfd named {@code name}, shared as {@code parts}. */
    public static SingleFileGuest create(String name, long fileSize, List<Part> parts) {
        return share(Memfd.create(name, fileSize), fileSize, parts);
    }

    /**
     * As {@link #create}, on huge pages of {@code hugePageSize} bytes (QEMU's {@code memory-backend-memfd,hugetlb=on}):
     * {@code fileSize} a multiple of it; the parts need not be aligned to it.
     */
    public static SingleFileGuest createHuge(String name, long fileSize, long hugePageSize, List<Part> parts) {
        return share(Memfd.createHuge(name, fileSize, hugePageSize), fileSize, parts);
    }

    private static SingleFileGuest share(Memfd file, long fileSize, List<Part> parts) {
        MappedMemory mapping = null;
        try {
            file.sealSize(); // like QEMU's memfd RAM: the back-end can count on every page it maps
            mapping = file.map();
            List<SharedMemory.SharedRegion> regions = new ArrayList<>();
            for (Part p : parts) {
                if (p.fileOffset() < 0 || p.size() <= 0 || p.fileOffset() > fileSize - p.size()) {
                    throw new IllegalArgumentException(String.format("part at file offset 0x%x+0x%x is outside the 0x%x-byte file",
                            p.fileOffset(), p.size(), fileSize));
                }
                MemoryRegion r = new MemoryRegion(p.guestPhysical(), p.size(), mapping.address() + p.fileOffset(),
                        mapping.slice(p.fileOffset(), p.size()));
                regions.add(new SharedMemory.SharedRegion(r, file.fd(), p.fileOffset()));
            }
            return new SingleFileGuest(file, mapping, new SharedMemory(regions));
        } catch (RuntimeException e) {
            if (mapping != null) mapping.close();
            file.close();
            throw e;
        }
    }

    public SharedMemory shared() {
        return shared;
    }

    public GuestMemory memory() {
        return shared.memory();
    }

    /** The front-end's one mapping of the whole file. */
    public MappedMemory mapping() {
        return mapping;
    }

    @Override
    public void close() {
        mapping.close();
        file.close();
    }
}

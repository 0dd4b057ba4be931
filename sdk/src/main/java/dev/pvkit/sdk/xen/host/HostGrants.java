package dev.pvkit.sdk.xen.host;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.pvkit.sdk.xen.GrantException;
import dev.pvkit.sdk.xen.GrantMapper;
import dev.pvkit.sdk.xen.GrantMapping;
import dev.pvkit.sdk.xen.GrantStatus;
import dev.pvkit.sdk.xen.XenException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Grant mappings through libxengnttab (the gntdev device): all pages of one call map contiguously. The library
 * reports a refused reference as a failed call with errno, not a GNTST code, so a refusal is reported as a bad
 * reference naming the first of the call's references.
 */
final class HostGrants implements GrantMapper, AutoCloseable {
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;

    private final XenLibraries.GntTabLib lib;
    private final Pointer handle;

    HostGrants(XenLibraries.GntTabLib lib) {
        this.lib = lib;
        this.handle = lib.xengnttab_open(null, 0);
        if (handle == null) throw new XenException("xengnttab_open failed: errno " + Native.getLastError()
                + " (is the xen-gntdev module loaded?)");
    }

    @Override
    public GrantMapping map(int domid, int[] refs, boolean writable) {
        Pointer at = lib.xengnttab_map_domain_grant_refs(handle, refs.length, domid, refs.clone(),
                writable ? PROT_READ | PROT_WRITE : PROT_READ);
        if (at == null) {
            int errno = Native.getLastError();
            throw new GrantException(refs.length > 0 ? refs[0] : 0, errno == 1 || errno == 13
                    ? GrantStatus.PERMISSION_DENIED : GrantStatus.BAD_GNTREF);
        }
        ByteBuffer all = at.getByteBuffer(0, (long) refs.length * GrantMapping.PAGE_SIZE);
        return new GrantMapping() {
            private boolean closed;

            @Override
            public int pages() {
                return refs.length;
            }

            @Override
            public ByteBuffer page(int i) {
                if (closed) throw new IllegalStateException("unmapped");
                ByteBuffer p = all.duplicate().position(i * PAGE_SIZE).limit((i + 1) * PAGE_SIZE).slice()
                        .order(ByteOrder.LITTLE_ENDIAN);
                return writable ? p : p.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
            }

            @Override
            public boolean writable() {
                return writable;
            }

            @Override
            public synchronized void close() {
                if (closed) return;
                closed = true;
                lib.xengnttab_unmap(handle, at, refs.length);
            }
        };
    }

    @Override
    public void close() {
        lib.xengnttab_close(handle);
    }
}

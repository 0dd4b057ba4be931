package dev.pvkit.sdk.xen.host;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/** The C interfaces of Xen's stable tool libraries that PVKit calls (xenstore.h, xengnttab.h, xenevtchn.h). */
final class XenLibraries {
    private XenLibraries() {
    }

    /** libxenstore: the XenStore wire protocol over /dev/xen/xenbus or xenstored's socket. */
    interface XenStoreLib extends Library {
        Pointer xs_open(long flags);

        void xs_close(Pointer h);

        /** A malloc'd value (not NUL-terminated in general) of {@code len} bytes, or null with errno. */
        Pointer xs_read(Pointer h, int tx, String path, IntByReference len);

        boolean xs_write(Pointer h, int tx, String path, byte[] data, int len);

        boolean xs_rm(Pointer h, int tx, String path);

        /** One malloc'd block: {@code num} pointers to NUL-terminated names, freed at once. */
        Pointer xs_directory(Pointer h, int tx, String path, IntByReference num);

        boolean xs_watch(Pointer h, String path, String token);

        boolean xs_unwatch(Pointer h, String path, String token);

        int xs_fileno(Pointer h);

        /** A pending watch event as {path, token} in one malloc'd block, or null (errno EAGAIN) when none. */
        Pointer xs_check_watch(Pointer h);

        int xs_transaction_start(Pointer h);

        boolean xs_transaction_end(Pointer h, int tx, boolean abort);

        /** {@code perms}: pairs of (domain id, XS_PERM_* bits); the first pair names the owner and what others may do. */
        boolean xs_set_permissions(Pointer h, int tx, String path, int[] perms, int count);
    }

    /** libxengnttab: mapping other domains' granted pages into this process. */
    interface GntTabLib extends Library {
        Pointer xengnttab_open(Pointer logger, int flags);

        int xengnttab_close(Pointer h);

        Pointer xengnttab_map_domain_grant_refs(Pointer h, int count, int domid, int[] refs, int prot);

        int xengnttab_unmap(Pointer h, Pointer start, int count);
    }

    /** libxenevtchn: binding, signalling and receiving event channels. */
    interface EvtchnLib extends Library {
        Pointer xenevtchn_open(Pointer logger, int flags);

        int xenevtchn_close(Pointer h);

        int xenevtchn_fd(Pointer h);

        int xenevtchn_notify(Pointer h, int port);

        int xenevtchn_bind_interdomain(Pointer h, int domid, int remotePort);

        int xenevtchn_unbind(Pointer h, int port);

        int xenevtchn_pending(Pointer h);

        int xenevtchn_unmask(Pointer h, int port);
    }

    /** libc's free, for what libxenstore hands back. */
    interface C extends Library {
        void free(Pointer p);
    }

    /**
     * Loads lib{@code name}: by its soname first (Debian ships the unversioned link only in the -dev packages, which
     * a driver domain does not have), then by the bare name.
     */
    static <T extends Library> T load(String name, String soname, Class<T> type) {
        try {
            return Native.load(soname, type);
        } catch (UnsatisfiedLinkError first) {
            return load(name, type);
        }
    }

    static <T extends Library> T load(String name, Class<T> type) {
        try {
            return Native.load(name, type);
        } catch (UnsatisfiedLinkError e) {
            throw new dev.pvkit.sdk.xen.XenException("cannot load lib" + name + " (is this a Xen domain with Xen's"
                    + " libraries installed?): " + e.getMessage(), e);
        }
    }
}

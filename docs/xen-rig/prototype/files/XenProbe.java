import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs inside the Xen dom0 of the QEMU rig: binds libxenstore, libxengnttab and libxenevtchn with JNA direct
 * mapping (as dev.pvkit.sdk.os.LibC does for libc) and prints what it sees. Output lines start with "XENPROBE ";
 * the last one is "XENPROBE RESULT PASS" or "XENPROBE RESULT FAIL <reason>".
 */
public final class XenProbe {
    /** Debian ships only the versioned sonames (the unversioned .so links are in the -dev packages). */
    static final String XENSTORE = "libxenstore.so.4";
    static final String GNTTAB = "libxengnttab.so.1";
    static final String EVTCHN = "libxenevtchn.so.1";

    static final class Xs {
        static { Native.register(Xs.class, NativeLibrary.getInstance(XENSTORE)); }
        static native Pointer xs_open(long flags);
        static native void xs_close(Pointer h);
        static native int xs_fileno(Pointer h);
        /** xs_transaction_t is uint32_t; XBT_NULL = 0. Returns malloc'd bytes (NUL-terminated), len set. */
        static native Pointer xs_read(Pointer h, int t, String path, IntByReference len);
        /** Returns one malloc'd block: num char* followed by the strings. */
        static native Pointer xs_directory(Pointer h, int t, String path, IntByReference num);
        static native boolean xs_write(Pointer h, int t, String path, byte[] data, int len);
    }

    static final class Gnttab {
        static { Native.register(Gnttab.class, NativeLibrary.getInstance(GNTTAB)); }
        static native Pointer xengnttab_open(Pointer logger, int flags);
        static native int xengnttab_set_max_grants(Pointer h, int count);
        static native int xengnttab_close(Pointer h);
    }

    static final class Evtchn {
        static { Native.register(Evtchn.class, NativeLibrary.getInstance(EVTCHN)); }
        static native Pointer xenevtchn_open(Pointer logger, int flags);
        static native int xenevtchn_fd(Pointer h);
        /** Returns the new local port (evtchn_port_or_error_t) or -1. */
        static native int xenevtchn_bind_unbound_port(Pointer h, int remoteDomid);
        static native int xenevtchn_unbind(Pointer h, int port);
        static native int xenevtchn_close(Pointer h);
    }

    static void out(String s) {
        System.out.println("XENPROBE " + s);
    }

    static String read(Pointer h, String path) {
        IntByReference len = new IntByReference();
        Pointer p = Xs.xs_read(h, 0, path, len);
        if (p == null) return null;
        try {
            return new String(p.getByteArray(0, len.getValue()), java.nio.charset.StandardCharsets.UTF_8);
        } finally {
            Native.free(Pointer.nativeValue(p));
        }
    }

    static List<String> directory(Pointer h, String path) {
        IntByReference num = new IntByReference();
        Pointer p = Xs.xs_directory(h, 0, path, num);
        if (p == null) return null;
        try {
            List<String> names = new ArrayList<>();
            for (Pointer s : p.getPointerArray(0, num.getValue())) names.add(s.getString(0));
            return names;
        } finally {
            Native.free(Pointer.nativeValue(p));
        }
    }

    public static void main(String[] args) {
        long t0 = System.nanoTime();
        List<String> failures = new ArrayList<>();
        out("java " + System.getProperty("java.version") + " home " + System.getProperty("java.home")
                + " jna " + Native.VERSION + " (native " + Native.VERSION_NATIVE + ")");

        Pointer xs = Xs.xs_open(0);
        out("xs_open(0) = " + xs + (xs == null ? " errno=" + Native.getLastError() : " fileno=" + Xs.xs_fileno(xs)));
        if (xs == null) failures.add("xs_open");
        else {
            String domid = read(xs, "domid");
            out("xs_read(\"domid\") = " + domid);
            if (!"0".equals(domid)) failures.add("domid=" + domid);
            out("xs_read(\"name\") = " + read(xs, "name"));
            List<String> doms = directory(xs, "/local/domain");
            out("xs_directory(\"/local/domain\") = " + doms);
            if (doms == null || !doms.contains("0")) failures.add("directory");
            if (doms != null) for (String d : doms) out("  /local/domain/" + d + "/name = " + read(xs, "/local/domain/" + d + "/name"));
            byte[] v = "hello-from-jvm".getBytes();
            boolean w = Xs.xs_write(xs, 0, "/local/domain/0/data/xenprobe", v, v.length);
            String back = read(xs, "/local/domain/0/data/xenprobe");
            out("xs_write+xs_read(\"/local/domain/0/data/xenprobe\") = " + w + " " + back);
            if (!w || !"hello-from-jvm".equals(back)) failures.add("xs_write");
            Xs.xs_close(xs);
        }

        Pointer gt = Gnttab.xengnttab_open(null, 0);
        out("xengnttab_open(NULL, 0) = " + gt + (gt == null ? " errno=" + Native.getLastError() : ""));
        if (gt == null) failures.add("xengnttab_open");
        else {
            out("xengnttab_set_max_grants(128) = " + Gnttab.xengnttab_set_max_grants(gt, 128));
            out("xengnttab_close = " + Gnttab.xengnttab_close(gt));
        }

        Pointer ev = Evtchn.xenevtchn_open(null, 0);
        out("xenevtchn_open(NULL, 0) = " + ev + (ev == null ? " errno=" + Native.getLastError() : " fd=" + Evtchn.xenevtchn_fd(ev)));
        if (ev == null) failures.add("xenevtchn_open");
        else {
            int port = Evtchn.xenevtchn_bind_unbound_port(ev, 0);
            out("xenevtchn_bind_unbound_port(0) = " + port);
            if (port < 0) failures.add("bind_unbound_port");
            else out("xenevtchn_unbind(" + port + ") = " + Evtchn.xenevtchn_unbind(ev, port));
            out("xenevtchn_close = " + Evtchn.xenevtchn_close(ev));
        }
        out(String.format("main took %.0f ms; JVM uptime %d ms", (System.nanoTime() - t0) / 1e6,
                java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime()));
        out("RESULT " + (failures.isEmpty() ? "PASS" : "FAIL " + failures));
        System.exit(failures.isEmpty() ? 0 : 1);
    }
}

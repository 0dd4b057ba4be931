package dev.pvkit.sdk.xen.host;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import dev.pvkit.sdk.os.Epoll;
import dev.pvkit.sdk.xen.XenException;
import dev.pvkit.sdk.xen.XenStore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * XenStore through libxenstore. Watch events are read on one thread of their own ({@code xen-watches}), which
 * waits on the connection's descriptor and runs each callback in turn, as the emulated platform does.
 */
final class HostXenStore implements XenStore, AutoCloseable {
    private static final int ENOENT = 2;
    private static final int EAGAIN = 11;

    private final XenLibraries.XenStoreLib lib;
    private final XenLibraries.C libc;
    private final Pointer handle;
    private final Map<String, Consumer<String>> watches = new ConcurrentHashMap<>();
    private final AtomicLong tokens = new AtomicLong();
    private final Thread watchThread;
    private volatile boolean closed;

    HostXenStore(XenLibraries.XenStoreLib lib, XenLibraries.C libc) {
        this.lib = lib;
        this.libc = libc;
        this.handle = lib.xs_open(0);
        if (handle == null) throw new XenException("xs_open failed: errno " + Native.getLastError() + " (is xenstored running?)");
        watchThread = new Thread(this::watchLoop, "xen-watches");
        watchThread.setDaemon(true);
        watchThread.start();
    }

    @Override
    public Optional<String> read(String path) {
        return read(0, path);
    }

    Optional<String> read(int tx, String path) {
        IntByReference len = new IntByReference();
        Pointer p = lib.xs_read(handle, tx, path, len);
        if (p == null) {
            int errno = Native.getLastError();
            if (errno == ENOENT) return Optional.empty();
            throw new XenException("xs_read " + path + ": errno " + errno);
        }
        try {
            return Optional.of(new String(p.getByteArray(0, len.getValue()), StandardCharsets.UTF_8));
        } finally {
            libc.free(p);
        }
    }

    @Override
    public void write(String path, String value) {
        write(0, path, value);
    }

    void write(int tx, String path, String value) {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        if (!lib.xs_write(handle, tx, path, b, b.length)) throw new XenException("xs_write " + path + ": errno " + Native.getLastError());
    }

    @Override
    public void remove(String path) {
        remove(0, path);
    }

    void remove(int tx, String path) {
        if (!lib.xs_rm(handle, tx, path) && Native.getLastError() != ENOENT) {
            throw new XenException("xs_rm " + path + ": errno " + Native.getLastError());
        }
    }

    @Override
    public List<String> directory(String path) {
        IntByReference num = new IntByReference();
        Pointer p = lib.xs_directory(handle, 0, path, num);
        if (p == null) return List.of();
        try {
            List<String> names = new ArrayList<>(num.getValue());
            for (int i = 0; i < num.getValue(); i++) names.add(p.getPointer((long) i * Native.POINTER_SIZE).getString(0, "UTF-8"));
            return names;
        } finally {
            libc.free(p);
        }
    }

    private static final int PERM_NONE = 0;
    private static final int PERM_READ = 1;

    @Override
    public void setPermissions(String path, int owner, int... readers) {
        int[] perms = new int[2 + 2 * readers.length];
        perms[0] = owner;
        perms[1] = PERM_NONE;
        for (int i = 0; i < readers.length; i++) {
            perms[2 + 2 * i] = readers[i];
            perms[3 + 2 * i] = PERM_READ;
        }
        if (!lib.xs_set_permissions(handle, 0, path, perms, 1 + readers.length)) {
            throw new XenException("xs_set_permissions " + path + ": errno " + Native.getLastError());
        }
    }

    @Override
    public Watch watch(String path, Consumer<String> changedPath) {
        String token = "pvkit-" + tokens.incrementAndGet();
        watches.put(token, changedPath);
        if (!lib.xs_watch(handle, path, token)) {
            watches.remove(token);
            throw new XenException("xs_watch " + path + ": errno " + Native.getLastError());
        }
        return () -> {
            watches.remove(token);
            lib.xs_unwatch(handle, path, token);
        };
    }

    @Override
    public Transaction begin() {
        int tx = lib.xs_transaction_start(handle);
        if (tx == 0) throw new XenException("xs_transaction_start: errno " + Native.getLastError());
        return new Transaction() {
            @Override
            public Optional<String> read(String path) {
                return HostXenStore.this.read(tx, path);
            }

            @Override
            public void write(String path, String value) {
                HostXenStore.this.write(tx, path, value);
            }

            @Override
            public void remove(String path) {
                HostXenStore.this.remove(tx, path);
            }

            @Override
            public boolean commit() {
                if (lib.xs_transaction_end(handle, tx, false)) return true;
                int errno = Native.getLastError();
                if (errno == EAGAIN) return false;
                throw new XenException("xs_transaction_end: errno " + errno);
            }

            @Override
            public void abort() {
                lib.xs_transaction_end(handle, tx, true);
            }
        };
    }

    private void watchLoop() {
        try (Epoll epoll = Epoll.create()) {
            epoll.add(lib.xs_fileno(handle), 1);
            long[] ready = new long[1];
            while (!closed) {
                if (epoll.wait(ready, 200) == 0) continue;
                Pointer event;
                while (!closed && (event = lib.xs_check_watch(handle)) != null) {
                    try {
                        String path = event.getPointer(0).getString(0, "UTF-8");
                        String token = event.getPointer(Native.POINTER_SIZE).getString(0, "UTF-8");
                        Consumer<String> callback = watches.get(token);
                        if (callback != null) callback.accept(path);
                    } catch (RuntimeException | Error e) {
                        // One device's failure must not end XenStore handling for every device of the JVM.
                        org.slf4j.LoggerFactory.getLogger(HostXenStore.class).warn("watch callback failed", e);
                    } finally {
                        libc.free(event);
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            watchThread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lib.xs_close(handle);
    }
}

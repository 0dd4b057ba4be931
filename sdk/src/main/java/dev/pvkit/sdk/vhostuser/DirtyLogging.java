package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.memory.WriteObserver;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.os.MappedMemory;
import dev.pvkit.sdk.os.Syscalls;

/**
 * A session's dirty-page logging for live migration: the bitmap of SET_LOG_BASE, the eventfd of SET_LOG_FD and
 * whether the front-end asked for VHOST_F_LOG_ALL. Guest memory reports every write here; the control thread
 * replaces the bitmap and the eventfd only while every ring is locked, so no worker uses one being closed.
 */
final class DirtyLogging implements WriteObserver, AutoCloseable {
    private final Rings rings;
    private final ShrinkSeals seals;
    private volatile DirtyLog log;
    private volatile boolean logAll;
    /** SET_LOG_FD: signalled after each write marked in the dirty log. */
    private volatile EventFd logFd;

    DirtyLogging(Rings rings, ShrinkSeals seals) {
        this.rings = rings;
        this.seals = seals;
    }

    /** From the negotiated features: whether writes are logged at all. */
    void logAll(boolean on) {
        logAll = on;
    }

    /**
     * Every write into guest memory passes here; while the front-end asked for LOG_ALL it marks the log and then
     * signals the log eventfd, if one was given, as libvhost-user does: the front-end may wait on it instead of
     * polling the bitmap. Runs on a worker holding its ring's lock.
     */
    @Override
    public void written(long guestPhysical, long length) {
        DirtyLog l = log;
        if (l == null || !logAll) return;
        l.written(guestPhysical, length);
        EventFd notify = logFd;
        if (notify != null) notify.signal();
    }

    /** SET_LOG_FD; every ring is locked (its row in {@link RequestTable}), so no worker signals the old one. */
    void setFd(EventFd fresh) {
        rings.requireAllLocked(FrontendRequest.SET_LOG_FD);
        EventFd old = logFd;
        logFd = fresh;
        if (old != null) old.close();
    }

    /**
     * SET_LOG_BASE: maps the front-end's bitmap after checking offset + size cannot overflow [CVE-2020-10722]. Every
     * ring is locked (its row in {@link RequestTable}), so no worker marks the old bitmap while it is unmapped.
     */
    void setBase(Bodies.Log l, Message m) {
        rings.requireAllLocked(FrontendRequest.SET_LOG_BASE);
        int fd = m.takeFd(0);
        DirtyLog fresh;
        try {
            MappedMemory bitmap = SharedFile.map(FrontendRequest.SET_LOG_BASE, SharedFile.Kind.LOG, fd, l.mmapOffset(), l.mmapSize(), seals);
            // Sealed unless unsealed files are accepted at risk; seals are only ever added, so the answer holds.
            fresh = new DirtyLog(bitmap, ShrinkSeals.sealed(fd));
        } finally {
            Syscalls.closeQuietly(fd);
        }
        DirtyLog old = log;
        log = fresh;
        if (old != null) old.close();
    }

    @Override
    public void close() {
        if (log != null) log.close();
        log = null;
        if (logFd != null) logFd.close();
    }
}

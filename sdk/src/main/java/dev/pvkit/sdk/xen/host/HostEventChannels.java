package dev.pvkit.sdk.xen.host;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.pvkit.sdk.os.Epoll;
import dev.pvkit.sdk.xen.EventChannels;
import dev.pvkit.sdk.xen.XenException;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Event channels through libxenevtchn. One thread ({@code xen-events}) waits on the handle's descriptor, takes
 * each pending port, unmasks it and runs its handler: delivery coalesces in the hypervisor, as the handlers expect.
 */
final class HostEventChannels implements EventChannels, AutoCloseable {
    private final XenLibraries.EvtchnLib lib;
    private final Pointer handle;
    private final Map<Integer, Runnable> handlers = new ConcurrentHashMap<>();
    private final Thread thread;
    /** Ports to look at once on the event thread (a fresh binding), and the descriptor that wakes it for them. */
    private final java.util.Queue<Integer> kicks = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final dev.pvkit.sdk.os.EventFd wake = dev.pvkit.sdk.os.EventFd.create();
    private volatile boolean closed;

    HostEventChannels(XenLibraries.EvtchnLib lib) {
        this.lib = lib;
        this.handle = lib.xenevtchn_open(null, 0);
        if (handle == null) throw new XenException("xenevtchn_open failed: errno " + Native.getLastError()
                + " (is the xen-evtchn module loaded?)");
        thread = new Thread(this::loop, "xen-events");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public EventChannel bindInterdomain(int remoteDomid, int remotePort, Runnable onEvent) {
        int local = lib.xenevtchn_bind_interdomain(handle, remoteDomid, remotePort);
        if (local < 0) {
            throw new XenException("event channel: cannot bind port " + remotePort + " of domain " + remoteDomid
                    + " (errno " + Native.getLastError() + ")");
        }
        handlers.put(local, onEvent);
        // A fresh binding may have missed an event sent before it existed: look once, as Xen's own back-ends do.
        onEventSoon(local);
        return new EventChannel() {
            @Override
            public int localPort() {
                return local;
            }

            @Override
            public void notifyPeer() {
                if (lib.xenevtchn_notify(handle, local) < 0) {
                    throw new XenException("xenevtchn_notify " + local + ": errno " + Native.getLastError());
                }
            }

            @Override
            public void close() {
                handlers.remove(local);
                lib.xenevtchn_unbind(handle, local);
            }
        };
    }

    private void onEventSoon(int port) {
        kicks.add(port);
        wake.signal();
    }

    private void loop() {
        try (Epoll epoll = Epoll.create()) {
            epoll.add(lib.xenevtchn_fd(handle), 1);
            epoll.add(wake.fd(), 2);
            long[] ready = new long[2];
            while (!closed) {
                int n = epoll.wait(ready, 200);
                for (int i = 0; i < n; i++) {
                    if (ready[i] == 2) {
                        wake.drain();
                        for (Integer port; (port = kicks.poll()) != null; ) run(port);
                    } else {
                        int port = lib.xenevtchn_pending(handle);
                        if (port < 0) continue;
                        lib.xenevtchn_unmask(handle, port);
                        run(port);
                    }
                }
            }
        }
    }

    private void run(int port) {
        Runnable h = handlers.get(port);
        if (h == null) return;
        try {
            h.run();
        } catch (RuntimeException | Error e) {
            org.slf4j.LoggerFactory.getLogger(HostEventChannels.class).warn("event handler of port {} failed", port, e);
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lib.xenevtchn_close(handle);
        wake.close();
    }
}

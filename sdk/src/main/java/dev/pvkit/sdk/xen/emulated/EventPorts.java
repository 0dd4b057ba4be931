package dev.pvkit.sdk.xen.emulated;

import dev.pvkit.sdk.xen.XenException;

import java.util.HashMap;
import java.util.Map;

/**
 * One domain's event channel ports. A port is free, unbound (reserved for one remote domain) or interdomain
 * (joined to a peer port). An event sets the receiver's pending bit; while it is set, further events coalesce into
 * it, and the receiver's dispatcher clears it just before running the port's handler.
 */
final class EventPorts {
    private final int owner;
    private final Dispatcher dispatcher;
    /** The hypervisor's event lock, shared by every domain's ports: a bind touches two tables at once. */
    private final Object lock;
    private final Map<Integer, Port> ports = new HashMap<>();
    private int nextPort = 1;

    private static final class Port {
        final int remoteDomid;
        Runnable handler;
        EventPorts peer;
        int peerPort = -1;
        boolean pending;

        Port(int remoteDomid, Runnable handler) {
            this.remoteDomid = remoteDomid;
            this.handler = handler;
        }
    }

    EventPorts(int owner, Dispatcher dispatcher, Object lock) {
        this.owner = owner;
        this.dispatcher = dispatcher;
        this.lock = lock;
    }

    int allocUnbound(int remoteDomid, Runnable handler) {
        synchronized (lock) {
            int port = nextPort++;
            ports.put(port, new Port(remoteDomid, handler));
            return port;
        }
    }

    /** BIND_INTERDOMAIN from this domain to {@code remote}'s unbound {@code remotePort}; the new port is left pending. */
    int bindInterdomain(EventPorts remote, int remotePort, Runnable handler) {
        int local;
        synchronized (lock) {
            Port r = remote.ports.get(remotePort);
            if (r == null || r.peer != null || r.remoteDomid != owner) {
                throw new XenException("event channel: port " + remotePort + " of domain " + remote.owner
                        + " is not unbound for domain " + owner + " (EINVAL)");
            }
            local = nextPort++;
            Port l = new Port(remote.owner, handler);
            l.peer = remote;
            l.peerPort = remotePort;
            ports.put(local, l);
            r.peer = this;
            r.peerPort = local;
        }
        raise(local);
        return local;
    }

    /** SEND on {@code port}: raises the peer's pending bit; a port with no peer drops the event. */
    void send(int port) {
        EventPorts peer;
        int peerPort;
        synchronized (lock) {
            Port p = ports.get(port);
            if (p == null) throw new XenException("event channel: domain " + owner + " has no port " + port);
            peer = p.peer;
            peerPort = p.peerPort;
        }
        if (peer != null) peer.raise(peerPort);
    }

    void raise(int port) {
        synchronized (lock) {
            Port p = ports.get(port);
            if (p == null || p.pending) return;
            p.pending = true;
        }
        dispatcher.run(() -> deliver(port));
    }

    private void deliver(int port) {
        Runnable handler;
        synchronized (lock) {
            Port p = ports.get(port);
            if (p == null) return;
            p.pending = false;
            handler = p.handler;
        }
        if (handler != null) handler.run();
    }

    /** CLOSE: the port goes; a peer's port returns to unbound for this domain. */
    void close(int port) {
        EventPorts peer;
        int peerPort;
        synchronized (lock) {
            Port p = ports.remove(port);
            if (p == null) return;
            peer = p.peer;
            peerPort = p.peerPort;
        }
        if (peer != null) peer.unbind(peerPort);
    }

    private void unbind(int port) {
        synchronized (lock) {
            Port p = ports.get(port);
            if (p != null) {
                p.peer = null;
                p.peerPort = -1;
            }
        }
    }

    boolean isUnboundFor(int port, int remoteDomid) {
        synchronized (lock) {
            Port p = ports.get(port);
            return p != null && p.peer == null && p.remoteDomid == remoteDomid;
        }
    }

    boolean exists(int port) {
        synchronized (lock) {
            return ports.containsKey(port);
        }
    }
}

package dev.pvkit.sdk.xen;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * The back-end's side of the XenbusState handshake (spec §9.8), for any device type: publish the features and
 * write InitWait [DEV-XEN-011]; when the front-end is Initialised, or Connected having skipped it (Linux's netfront
 * does), read its keys only then [DEV-XEN-012] and connect; when it closes, tear down before writing Closed
 * [DEV-XEN-008]; when it starts again, wait in InitWait anew. Keys a device cannot connect with close the device
 * with an {@code error} node naming the requirement. The device's callbacks run under this object's lock, on the
 * XenStore watch thread.
 */
public final class XenbusBackend implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(XenbusBackend.class);

    /** What a device type adds to the handshake. */
    public interface Device {
        /** Writes the device's feature and limit nodes into its back-end directory. */
        void publishFeatures(XenStore.Transaction t, String backendPath);

        /** Reads the front-end's keys, maps and binds; returns a line for the log, or throws a refusal. */
        String connect(Keys keys);

        /** Stops serving: channels closed, every mapping unmapped. Idempotent. */
        void disconnect();
    }

    /** The front-end's nodes, as a device reads them while connecting (each read is observed). */
    public final class Keys {
        private Keys() {
        }

        public Optional<String> read(String key) {
            Optional<String> v = platform.store().read(frontend + "/" + key);
            observer.frontendNode(key, v.orElse(null));
            return v;
        }

        /** An unsigned 32-bit decimal node; absent gives {@code absent}, or is refused as missing when that is −1. */
        public long number(String key, long absent) {
            Optional<String> v = read(key);
            if (v.isEmpty()) {
                if (absent >= 0) return absent;
                throw new FrontendRefusal("DRV-XEN-008", key + " is missing");
            }
            OptionalLong n = XenNumbers.u32(v.get());
            if (n.isEmpty()) throw new FrontendRefusal("DRV-XEN-007", key + " = '" + v.get() + "' is not a decimal number");
            return n.getAsLong();
        }
    }

    private final XenPlatform platform;
    private final String backend;
    private final String frontend;
    private final XenObserver observer;
    private final Device device;
    private XenStore.Watch watch;
    private XenbusState state = XenbusState.UNKNOWN;
    /** Set by {@link #close()}: a watch callback already on its way must not bring the device back. */
    private boolean closed;

    public XenbusBackend(XenPlatform platform, String backendPath, String frontendPath, XenObserver observer, Device device) {
        this.platform = platform;
        this.backend = backendPath;
        this.frontend = frontendPath;
        this.observer = observer;
        this.device = device;
    }

    public synchronized void start() {
        publishFeatures();
        setState(XenbusState.INIT_WAIT);
        watch = platform.store().watch(frontend + "/state", path -> frontendChanged());
    }

    public synchronized XenbusState state() {
        return state;
    }

    private void publishFeatures() {
        platform.store().inTransaction(t -> device.publishFeatures(t, backend));
    }

    private synchronized void frontendChanged() {
        if (closed) return;
        Optional<String> raw = platform.store().read(frontend + "/state");
        XenbusState fe = XenbusState.of(raw);
        observer.frontendState(fe, raw.orElse(null));
        switch (fe) {
            case INITIALISING, INIT_WAIT -> {
                if (state == XenbusState.CLOSED) {
                    publishFeatures();
                    setState(XenbusState.INIT_WAIT);
                }
            }
            case INITIALISED, CONNECTED -> {
                if (state == XenbusState.INIT_WAIT) connect();
            }
            case CLOSING, CLOSED, UNKNOWN -> {
                if (state != XenbusState.CLOSED) {
                    device.disconnect();
                    setState(XenbusState.CLOSED);
                }
            }
            default -> {
            }
        }
    }

    private void connect() {
        try {
            String done = device.connect(new Keys());
            setState(XenbusState.CONNECTED);
            LOG.info("{}: connected, {} [DEV-XEN-013]", backend, done);
        } catch (FrontendRefusal r) {
            String rule = r.requirement() == null ? "no requirement: a limit of this back-end" : r.requirement();
            LOG.warn("{}: the front-end's keys are unusable: {} [{}]; closing", backend, r.getMessage(), rule);
            observer.connectRefused(r.requirement(), r.getMessage());
            device.disconnect();
            platform.store().write(backend + "/error", (r.requirement() == null ? "" : r.requirement() + " ") + r.getMessage());
            setState(XenbusState.CLOSING);
        } catch (RuntimeException | OutOfMemoryError e) {
            // A platform failure (a map or bind the hypervisor refused for its own reasons) closes the device too.
            LOG.warn("{}: connecting failed: {}; closing", backend, e.toString());
            device.disconnect();
            platform.store().write(backend + "/error", e.getMessage() == null ? e.toString() : e.getMessage());
            setState(XenbusState.CLOSING);
        }
    }

    /** Recorded before the write: the front-end may answer the moment it sees the node. */
    private void setState(XenbusState s) {
        state = s;
        observer.backendState(s);
        platform.store().write(backend + "/state", s.text());
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (watch != null) watch.close();
        device.disconnect();
        if (state != XenbusState.CLOSED) setState(XenbusState.CLOSED);
    }
}

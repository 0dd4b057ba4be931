package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.observe.BackendObserver;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A small conformance monitor built on {@link BackendObserver} alone, as a test of the interface: it knows nothing
 * of the protocol code and still tells when a driver set FEATURES_OK before acknowledging features, set DRIVER_OK
 * before sharing memory, or enabled a queue before giving its addresses.
 */
final class NegotiationMonitor implements BackendObserver {
    static final int DRIVER_OK = 4, FEATURES_OK = 8;

    private final List<String> findings = new ArrayList<>();
    private boolean featuresAcked;
    private boolean memoryShared;
    private final Set<Integer> addressed = new HashSet<>();

    synchronized List<String> findings() {
        return List.copyOf(findings);
    }

    /** Observers see the same session: a reset forgets what the driver did before it. */
    private void forget() {
        featuresAcked = false;
        memoryShared = false;
        addressed.clear();
    }

    @Override
    public synchronized void connected() {
        forget();
    }

    @Override
    public synchronized void deviceReset(String cause) {
        forget();
    }

    @Override
    public synchronized void featuresAcknowledged(long features) {
        featuresAcked = true;
    }

    @Override
    public synchronized void memoryMapped(long[][] regions) {
        memoryShared = regions.length > 0;
    }

    @Override
    public synchronized void queueAddressesSet(int queue, long descriptors, long driverArea, long deviceArea) {
        addressed.add(queue);
    }

    @Override
    public synchronized void statusWritten(int status) {
        if ((status & FEATURES_OK) != 0 && !featuresAcked) {
            findings.add(String.format("FEATURES_OK (status 0x%x) before features were acknowledged", status));
        }
        if ((status & DRIVER_OK) != 0 && !memoryShared) {
            findings.add(String.format("DRIVER_OK (status 0x%x) before any memory table", status));
        }
    }

    @Override
    public synchronized void queueEnabled(int queue, boolean enabled) {
        if (enabled && !addressed.contains(queue)) findings.add("queue " + queue + " enabled before SET_VRING_ADDR");
    }

    /** One observer that hands every event to {@code first}, then to {@code second}. */
    static BackendObserver both(BackendObserver first, BackendObserver second) {
        return (BackendObserver) Proxy.newProxyInstance(BackendObserver.class.getClassLoader(), new Class<?>[]{BackendObserver.class},
                (proxy, method, args) -> {
                    try {
                        Object result = method.invoke(first, args);
                        method.invoke(second, args);
                        return result;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}

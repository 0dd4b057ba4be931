package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.XenEvent;
import dev.pvkit.sdk.xen.XenNumbers;
import dev.pvkit.sdk.xen.XenbusState;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A Xen front-end's side of the XenbusState handshake (spec §9.8): it publishes its transport keys before it says
 * Initialised [DRV-XEN-008], writes numbers in decimal [DRV-XEN-007], and says Connected only after the back-end has
 * [DRV-XBLK-021]; its values are printable ASCII with no trailing NUL [DRV-XEN-039].
 */
public final class XenHandshakeCheck implements Check {
    static final String DECIMAL = "DRV-XEN-007";
    static final String KEYS_FIRST = "DRV-XEN-008";
    static final String CONNECTED_AFTER_BACKEND = "DRV-XBLK-021";
    static final String PRINTABLE = "DRV-XEN-039";

    @Override
    public Set<String> decides() {
        return Set.of(DECIMAL, KEYS_FIRST, CONNECTED_AFTER_BACKEND, PRINTABLE);
    }

    @Override
    public String name() {
        return "xen handshake";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        List<XenEvent.ConnectRefused> refused = session.events(XenEvent.ConnectRefused.class);
        Optional<XenEvent.BackendState> backendConnected = session.events(XenEvent.BackendState.class).stream()
                .filter(b -> b.state() == XenbusState.CONNECTED).findFirst();
        for (XenEvent.ConnectRefused r : refused) {
            if (KEYS_FIRST.equals(r.requirement()) || DECIMAL.equals(r.requirement())) {
                findings.broke(r.requirement(), -1, r, "the back-end could not connect: " + r.detail());
            }
        }
        backendConnected.ifPresent(b -> findings.kept(KEYS_FIRST, b));
        for (XenEvent.FrontendNode n : session.events(XenEvent.FrontendNode.class)) {
            if (n.value() != null && numeric(n.key()) && XenNumbers.u32(n.value()).isPresent()) {
                findings.kept(DECIMAL, n);
                break;
            }
        }
        boolean unprintable = false;
        for (XenEvent.FrontendNode n : session.events(XenEvent.FrontendNode.class)) {
            if (n.value() == null || printable(n.value())) continue;
            findings.broke(PRINTABLE, -1, n, "the front-end's " + n.key() + " holds bytes outside printable ASCII");
            unprintable = true;
        }
        if (!unprintable) {
            session.events(XenEvent.FrontendNode.class).stream().filter(n -> n.value() != null).findFirst()
                    .ifPresent(n -> findings.kept(PRINTABLE, n));
        }
        // The order is blkif's (DRV-XBLK-021): a netif front-end may say Connected before its back-end does
        // (DRV-XNET-019, a permission), as Linux's netfront does.
        if (session.events(XenEvent.BackendState.class).stream().anyMatch(b -> "vif".equals(b.device()))) return;
        // A back-end that (re)started beside a front-end already Connected sees it Connected first: nothing to judge.
        if (!XenRingCheck.sawFrontendStart(session)) return;
        // Order by position in the session, not by time stamp: two events may share a microsecond.
        List<dev.pvkit.conformance.observe.Event> all = session.events();
        session.events(XenEvent.FrontendState.class).stream().filter(f -> f.state() == XenbusState.CONNECTED)
                .findFirst().ifPresent(f -> {
                    if (backendConnected.isPresent() && all.indexOf(backendConnected.get()) < all.indexOf(f)) {
                        findings.kept(CONNECTED_AFTER_BACKEND, f);
                    } else {
                        findings.broke(CONNECTED_AFTER_BACKEND, -1, f, "the front-end wrote Connected while the back-end"
                                + " was not Connected yet");
                    }
                });
    }

    static boolean printable(String v) {
        for (int i = 0; i < v.length(); i++) if (v.charAt(i) < 0x20 || v.charAt(i) > 0x7f) return false;
        return true;
    }

    /** Keys whose values are numbers: ring references, channels, orders, counts. */
    static boolean numeric(String key) {
        String k = key.substring(key.lastIndexOf('/') + 1);
        return k.startsWith("ring-ref") || k.startsWith("event-channel") || k.equals("ring-page-order")
                || k.equals("multi-queue-num-queues");
    }
}

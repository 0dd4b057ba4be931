package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.XenEvent;

import java.util.Set;

/**
 * A Xen front-end's shared rings (spec §9.1): initialised before they were granted [DRV-XRING-001] and never
 * published more than a ring's worth of requests ahead of the responses [DRV-XRING-004].
 */
public final class XenRingCheck implements Check {
    static final String INITIALISED = "DRV-XRING-001";
    static final String NO_OVERRUN = "DRV-XRING-004";

    @Override
    public Set<String> decides() {
        return Set.of(INITIALISED, NO_OVERRUN);
    }

    @Override
    public String name() {
        return "xen rings";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        // A back-end that (re)attaches to a front-end already Connected finds a ring in use, not a fresh one.
        if (!sawFrontendStart(session)) return;
        for (XenEvent.RingAttached a : session.events(XenEvent.RingAttached.class)) {
            // A front-end may publish requests before the back-end attaches (netfront posts its receive pages at
            // once), so req_prod may have moved; nothing else may have.
            boolean fresh = a.rspProd() == 0 && a.reqEvent() == 1 && a.rspEvent() == 1 && a.restZero();
            if (fresh) findings.kept(INITIALISED, a);
            else findings.broke(INITIALISED, a.ring(), a, a.describe() + "; a fresh ring has rsp_prod 0, event indices 1"
                    + " and the rest of the header zero (req_prod counts what the front-end published since)");
        }
        boolean broken = false;
        for (XenEvent.RingBroken b : session.events(XenEvent.RingBroken.class)) {
            if ("DEV-XRING-004".equals(b.requirement())) {
                findings.broke(NO_OVERRUN, b.ring(), b, b.detail());
                broken = true;
            }
        }
        if (!broken) {
            session.events(XenEvent.RequestsPublished.class).stream().findFirst().ifPresent(p -> findings.kept(NO_OVERRUN, p));
        }
    }

    /** Whether the session saw the front-end before it connected (at most Initialised when first read). */
    static boolean sawFrontendStart(DriverSession session) {
        return session.events(XenEvent.FrontendState.class).stream().findFirst()
                .map(f -> f.state().code() <= dev.pvkit.sdk.xen.XenbusState.INITIALISED.code()).orElse(false);
    }
}

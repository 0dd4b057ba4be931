package dev.pvkit.sdk.vhostuser;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import static dev.pvkit.sdk.vhostuser.FrontendRequest.*;

/**
 * How PVKit serves each {@link FrontendRequest}: one row per request naming the typed decode of its body, its handler,
 * and whether it runs holding every ring's lock (DPDK's {@code vhost_message_handlers} and its {@code lock_all_qps}).
 * FrontendRequest says what a message must look like, for both ends of the socket; this table says what the back-end
 * does with one that passed those checks. The session looks a row up, takes the locks it asks for and runs it:
 * dispatch is a lookup, and what a request does is found in one place.
 */
final class RequestTable {
    private RequestTable() {
    }

    /** A session's handler groups, which the rows' handlers are drawn from. */
    record Handlers(Negotiation negotiation, DeviceControl device, RingSetup rings, MemorySetup memory) {
    }

    /** Acts on one decoded body and says what to answer; {@code m} is there for the descriptors a handler takes. */
    @FunctionalInterface
    interface Handler<B> {
        Outcome handle(Handlers h, B body, Message m);
    }

    /**
     * One request's row. {@code allRings}: the session holds every ring's lock while the handler runs, because it
     * replaces something every worker reads through (the memory map, the dirty log bitmap and its eventfd): no worker
     * may run while it changes, and the old one is released before the locks are. The handlers themselves check that
     * they hold them ({@link Rings#requireAllLocked}).
     */
    record Row<B>(FrontendRequest request, Function<Message, B> decode, Handler<B> handler, boolean allRings) {
        Outcome dispatch(Handlers h, Message m) {
            return handler.handle(h, decode.apply(m), m);
        }
    }

    /** The decode of a request without a body. */
    private static final Function<Message, Void> NO_BODY = m -> null;
    private static final boolean ALL_RINGS = true;
    /**
     * The handler takes the lock of each ring it changes itself, or changes nothing a worker reads. Not all rings:
     * the resets and GET_VRING_BASE settle a ring (wait for the requests its device holds) under that ring's lock
     * only, so a device callback on another ring's worker can still complete them; the inflight area changes only
     * while no ring is started, so no worker records into it.
     */
    private static final boolean OWN_LOCKS = false;

    private static final List<Row<?>> DECLARED = List.of(
            row(GET_FEATURES, NO_BODY, (h, none, m) -> h.negotiation().getFeatures(), OWN_LOCKS),
            row(SET_FEATURES, Bodies::u64, (h, v, m) -> h.negotiation().setFeatures(v), OWN_LOCKS),
            row(SET_OWNER, NO_BODY, (h, none, m) -> h.negotiation().setOwner(), OWN_LOCKS),
            row(GET_PROTOCOL_FEATURES, NO_BODY, (h, none, m) -> h.negotiation().getProtocolFeatures(), OWN_LOCKS),
            row(SET_PROTOCOL_FEATURES, Bodies::u64, (h, v, m) -> h.negotiation().setProtocolFeatures(v), OWN_LOCKS),
            row(GET_QUEUE_NUM, NO_BODY, (h, none, m) -> h.negotiation().getQueueNum(), OWN_LOCKS),

            row(RESET_OWNER, NO_BODY, (h, none, m) -> h.device().reset(RESET_OWNER), OWN_LOCKS),
            row(RESET_DEVICE, NO_BODY, (h, none, m) -> h.device().reset(RESET_DEVICE), OWN_LOCKS),
            row(SET_STATUS, Bodies::u64, (h, v, m) -> h.device().setStatus(v), OWN_LOCKS),
            row(GET_STATUS, NO_BODY, (h, none, m) -> h.device().getStatus(), OWN_LOCKS),
            row(GET_CONFIG, Bodies.Config::of, (h, c, m) -> h.device().getConfig(c), OWN_LOCKS),
            row(SET_CONFIG, Bodies.Config::of, (h, c, m) -> h.device().setConfig(c), OWN_LOCKS),
            row(SET_BACKEND_REQ_FD, NO_BODY, (h, none, m) -> h.device().setBackendChannel(m), OWN_LOCKS),

            row(SET_VRING_NUM, Bodies.VringState::of, (h, s, m) -> h.rings().setNum(s), OWN_LOCKS),
            row(SET_VRING_ADDR, Bodies.VringAddress::of, (h, a, m) -> h.rings().setAddress(a), OWN_LOCKS),
            row(SET_VRING_BASE, Bodies.VringState::of, (h, s, m) -> h.rings().setBase(s), OWN_LOCKS),
            row(GET_VRING_BASE, Bodies.VringState::of, (h, s, m) -> h.rings().getBase(s), OWN_LOCKS),
            row(SET_VRING_KICK, Bodies.VringFd::of, (h, f, m) -> h.rings().setKick(f, m), OWN_LOCKS),
            row(SET_VRING_CALL, Bodies.VringFd::of, (h, f, m) -> h.rings().setCall(f, m), OWN_LOCKS),
            row(SET_VRING_ERR, Bodies.VringFd::of, (h, f, m) -> h.rings().setErr(f, m), OWN_LOCKS),
            row(SET_VRING_ENABLE, Bodies.VringState::of, (h, s, m) -> h.rings().setEnable(s), OWN_LOCKS),

            row(SET_MEM_TABLE, Bodies.MemoryTable::of, (h, t, m) -> h.memory().setTable(t, m), ALL_RINGS),
            row(ADD_MEM_REG, Bodies.SingleRegion::of, (h, r, m) -> h.memory().addRegion(r, m), ALL_RINGS),
            row(REM_MEM_REG, Bodies.SingleRegion::of, (h, r, m) -> h.memory().removeRegion(r), ALL_RINGS),
            row(GET_MAX_MEM_SLOTS, NO_BODY, (h, none, m) -> h.memory().getMaxSlots(), OWN_LOCKS),
            row(SET_LOG_BASE, Bodies.Log::of, (h, l, m) -> h.memory().setLogBase(l, m), ALL_RINGS),
            row(SET_LOG_FD, NO_BODY, (h, none, m) -> h.memory().setLogFd(m), ALL_RINGS),
            row(GET_INFLIGHT_FD, Bodies.Inflight::of, (h, i, m) -> h.memory().getInflightFd(i), OWN_LOCKS),
            row(SET_INFLIGHT_FD, Bodies.Inflight::of, (h, i, m) -> h.memory().setInflightFd(i, m), OWN_LOCKS));

    private static final Map<FrontendRequest, Row<?>> ROWS = index(DECLARED);

    /** {@code r}'s row, or null when PVKit has no handler for it yet. */
    static Row<?> of(FrontendRequest r) {
        return ROWS.get(r);
    }

    /** The rows as declared, for the test that each request has exactly one. */
    static List<Row<?>> declared() {
        return DECLARED;
    }

    /** The requests whose handlers run holding every ring's lock. */
    static Set<FrontendRequest> lockingAllRings() {
        Set<FrontendRequest> all = EnumSet.noneOf(FrontendRequest.class);
        for (Row<?> row : DECLARED) {
            if (row.allRings()) all.add(row.request());
        }
        return Collections.unmodifiableSet(all);
    }

    private static <B> Row<B> row(FrontendRequest r, Function<Message, B> decode, Handler<B> handler, boolean allRings) {
        return new Row<>(r, decode, handler, allRings);
    }

    /** A second row for one request would silently win over the first: refused when the class loads. */
    private static Map<FrontendRequest, Row<?>> index(List<Row<?>> rows) {
        Map<FrontendRequest, Row<?>> byRequest = new EnumMap<>(FrontendRequest.class);
        for (Row<?> row : rows) {
            if (byRequest.put(row.request(), row) != null) throw new IllegalStateException("two rows for " + row.request());
        }
        return Collections.unmodifiableMap(byRequest);
    }
}

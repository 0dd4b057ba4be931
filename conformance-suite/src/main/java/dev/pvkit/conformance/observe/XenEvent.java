package dev.pvkit.conformance.observe;

import dev.pvkit.sdk.xen.XenbusState;

/** What PVKit's Xen back-end saw a front-end do: its handshake, its nodes, its rings, its grants and its requests. */
public sealed interface XenEvent extends Event {

    @Override
    default Source source() {
        return Source.XEN;
    }

    /** The front-end's {@code state} node as the back-end read it ({@code raw} null when absent). */
    record FrontendState(long micros, XenbusState state, String raw) implements XenEvent {
        public String describe() {
            return "front-end state " + state + (raw == null ? " (node absent)" : " ('" + raw + "')");
        }
    }

    /** The back-end's state; {@code device} is its kind ("vbd", "vif"). */
    record BackendState(long micros, XenbusState state, String device) implements XenEvent {
        public String describe() {
            return device + " back-end state " + state;
        }
    }

    /** A front-end node the back-end read while connecting ({@code value} null when absent). */
    record FrontendNode(long micros, String key, String value) implements XenEvent {
        public String describe() {
            return key + (value == null ? " absent" : " = '" + value + "'");
        }
    }

    /** The back-end could not connect with the front-end's keys, for the reason of {@code requirement}. */
    record ConnectRefused(long micros, String requirement, String detail) implements XenEvent {
        public String describe() {
            return "connection refused: " + detail + (requirement == null ? " (a limit of the back-end)" : "");
        }
    }

    record GrantRefused(long micros, int ref, int status, boolean writable, String purpose) implements XenEvent {
        public String describe() {
            return purpose + " grant " + Integer.toUnsignedString(ref) + (writable ? " (writable)" : " (read-only)")
                    + " refused: " + dev.pvkit.sdk.xen.GrantStatus.name(status);
        }
    }

    /** A ring's header as the back-end found it when it mapped the ring. */
    record RingAttached(long micros, int ring, int pages, int entries, int reqProd, int reqEvent, int rspProd,
                        int rspEvent, boolean restZero) implements XenEvent {
        public String describe() {
            return "ring " + ring + " attached (" + pages + " page(s), " + entries + " entries): req_prod " + u(reqProd)
                    + ", req_event " + u(reqEvent) + ", rsp_prod " + u(rspProd) + ", rsp_event " + u(rspEvent)
                    + (restZero ? "" : ", pvt/padding not zero");
        }
    }

    record RequestsPublished(long micros, int ring, int previous, int current) implements XenEvent {
        public String describe() {
            return "ring " + ring + ": req_prod " + u(previous) + " -> " + u(current);
        }
    }

    record RingBroken(long micros, int ring, String requirement, String detail) implements XenEvent {
        public String describe() {
            return "ring " + ring + " broken: " + detail;
        }
    }

    /** A blkif request and its answer; {@code refused} the requirement it broke, or null. */
    record BlkRequest(long micros, int ring, int operation, int dataOperation, int nrSegments, long sector, long id,
                      int status, String refused) implements XenEvent {
        public String describe() {
            return "ring " + ring + ": " + dev.pvkit.sdk.xen.blkif.BlkifOp.name(operation) + " id " + Long.toUnsignedString(id)
                    + ", " + nrSegments + " segment(s), sector " + sector + " -> status " + status;
        }
    }

    /** A netif transmit packet of {@code slots} slots; {@code refused} the requirement it broke, or null. */
    record NetTransmit(long micros, int queue, int slots, int extras, int size, boolean gso, String refused)
            implements XenEvent {
        public String describe() {
            return "vif queue " + queue + ": packet of " + size + " bytes in " + slots + " slot(s)"
                    + (extras > 0 ? ", " + extras + " extra-info" : "") + (refused == null ? "" : ", refused");
        }
    }

    private static String u(int v) {
        return Integer.toUnsignedString(v);
    }
}

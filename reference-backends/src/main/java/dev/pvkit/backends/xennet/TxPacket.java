package dev.pvkit.backends.xennet;

import dev.pvkit.sdk.xen.netif.Netif;

import java.util.ArrayList;
import java.util.List;

/**
 * One transmitted packet as its ring slots describe it (spec §9.5): the first request, its extra-info records,
 * then the fragments that follow while MORE_DATA is set. {@link #problem} judges it before any data is read.
 */
record TxPacket(List<Netif.TxRequest> fragments, List<Netif.ExtraInfo> extras, int slots, boolean runaway) {

    /** The first fragment's own length: the packet's size less the later fragments' [DRV-XNET-001]. */
    int firstLength() {
        int rest = 0;
        for (int i = 1; i < fragments.size(); i++) rest += fragments.get(i).size();
        return fragments.get(0).size() - rest;
    }

    int size() {
        return fragments.get(0).size();
    }

    int length(int i) {
        return i == 0 ? firstLength() : fragments.get(i).size();
    }

    boolean gso() {
        return extras.stream().anyMatch(e -> e.type() == Netif.EXTRA_GSO);
    }

    /** The requirement this packet breaks and why, or null when it can be forwarded. */
    String[] problem(boolean gsoTcpv4Offered) {
        if (runaway) return new String[]{"DRV-XNET-002", "a ring's worth of slots and none ends the packet"};
        for (Netif.ExtraInfo e : extras) {
            if (e.type() == Netif.EXTRA_NONE) return new String[]{"DRV-XNET-004", "an extra-info record of type NONE"};
            if (e.type() == Netif.EXTRA_GSO && !(gsoTcpv4Offered && e.gsoType() == Netif.GSO_TCPV4)) {
                return new String[]{"DRV-XNET-006", "GSO type " + e.gsoType() + ", which the back-end did not advertise"};
            }
            if (e.type() > Netif.EXTRA_HASH) return new String[]{"DRV-XNET-003", "an extra-info record of unknown type " + e.type()};
        }
        if (firstLength() < 0) {
            return new String[]{"DRV-XNET-001", "first slot's size " + size() + " is less than its later fragments'"};
        }
        for (int i = 0; i < fragments.size(); i++) {
            Netif.TxRequest f = fragments.get(i);
            if (f.offset() + length(i) > 4096) {
                return new String[]{"DRV-XNET-005", "fragment " + i + " runs from offset " + f.offset() + " for "
                        + length(i) + " bytes, past its page"};
            }
        }
        if (fragments.size() > Netif.MAX_SLOTS) {
            return new String[]{"DRV-XNET-001", fragments.size() + " fragments, more than " + Netif.MAX_SLOTS + " slots"};
        }
        return null;
    }

    /** A packet of these fragments and extra-info records. */
    static TxPacket of(List<Netif.TxRequest> fragments, List<Netif.ExtraInfo> extras) {
        return new TxPacket(new ArrayList<>(fragments), new ArrayList<>(extras), fragments.size() + extras.size(), false);
    }

    /** A chain that never ended: every slot taken as a fragment, all to be refused. */
    static TxPacket runaway(List<Netif.TxRequest> slots) {
        return new TxPacket(new ArrayList<>(slots), List.of(), slots.size(), true);
    }
}

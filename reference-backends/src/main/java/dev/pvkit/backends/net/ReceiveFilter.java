package dev.pvkit.backends.net;

import java.util.Arrays;
import java.util.Collection;
import java.util.function.Consumer;

/**
 * Which frames one port hands to its driver: the receive modes, MAC tables and VLAN table the driver sets through
 * the control queue (virtio 1.4 §5.1.9.5.1 to §5.1.9.5.3). {@link #accepts} runs on the data path for every frame
 * while the control queue may change the settings from another thread; the settings are therefore one immutable
 * snapshot swapped whole, so a frame is judged against one consistent state without taking a lock, and a change is
 * in force for every frame judged after its setter returns (DEV-NET-089: a MAC_TABLE_SET is applied before the
 * command buffer is used).
 *
 * <p>State after construction and after {@link #reset()}:
 * <ul>
 * <li>promiscuous on, every other mode off. The spec names no initial receive mode, so this is PVKit's choice, the
 * one QEMU's virtio-net makes too: a driver without VIRTIO_NET_F_CTRL_RX cannot send any RX or MAC command, and one
 * without VIRTIO_NET_F_MAC or VIRTIO_NET_F_CTRL_MAC_ADDR picks an address the device never learns (DRV-NET-004), so
 * anything stricter would starve it. A driver that negotiated CTRL_RX turns promiscuous mode off itself. While it is
 * on, DEV-NET-091 (drop frames for unknown addresses) yields to DEV-NET-080 (deliver everything).</li>
 * <li>the primary MAC is the one given at construction, the configuration-space {@code mac}: MAC_ADDR_SET changes
 * it until the next reset.</li>
 * <li>both MAC tables empty (DEV-NET-088).</li>
 * <li>the VLAN table empty (§5.1.9.5.3 says so for a device that negotiated CTRL_VLAN) and VLAN filtering off, so
 * every tagged frame passes (DEV-NET-092) until the feature negotiation turns filtering on.</li>
 * </ul>
 */
public final class ReceiveFilter {
    /** A primary MAC no frame can carry: for a port that has none. */
    public static final long NO_MAC = -1;
    /** The 802.1Q tag protocol identifier, where the EtherType would be. */
    public static final int TPID_8021Q = 0x8100;
    public static final int MAX_VLAN_ID = 4095;

    private final long configuredMac;
    private volatile State state;

    /** A filter whose primary MAC is {@code mac} (the low 48 bits of a long, or {@link #NO_MAC}), in its reset state. */
    public ReceiveFilter(long mac) {
        if (mac != NO_MAC && (mac & ~0xffff_ffff_ffffL) != 0) throw new IllegalArgumentException("not a 48-bit MAC: " + Long.toHexString(mac));
        this.configuredMac = mac;
        this.state = State.initial(mac);
    }

    /** Back to the state after construction; the VLAN filtering switch included, as a reset forgets the features. */
    public synchronized void reset() {
        state = State.initial(configuredMac);
    }

    /**
     * Whether {@code frame} (an Ethernet frame, destination first) goes to the driver. Never throws: a frame too
     * short to carry what a decision needs is refused, unless promiscuous mode takes everything.
     */
    public boolean accepts(byte[] frame) {
        State s = state;
        // DEV-NET-080: promiscuous mode delivers every frame, whatever else is set. It also outranks the VLAN table,
        // as in QEMU: "all incoming packets" leaves no exception for tags.
        if (s.promiscuous) return true;
        if (frame == null || frame.length < 6) return false;
        if (s.vlanFiltering && frame.length >= 14 && Ethernet.type(frame) == TPID_8021Q) {
            // DEV-NET-093 / DEV-NET-094: a tagged frame passes only with its id in the table.
            if (frame.length < 16) return false;
            int vid = ((frame[14] & 0xff) << 8 | frame[15] & 0xff) & MAX_VLAN_ID;
            if (!s.hasVlan(vid)) return false;
        }
        long destination = Ethernet.destination(frame);
        if (destination == Ethernet.BROADCAST) {
            // DEV-NET-087: NOBCAST wins over ALLMULTI; DEV-NET-085: NOMULTI leaves broadcast alone.
            return !s.noBroadcast;
        }
        if (Ethernet.isGroup(destination)) {
            if (s.noMulticast) return false; // DEV-NET-084, even with ALLMULTI on
            if (s.allMulticast) return true; // DEV-NET-081
            return Arrays.binarySearch(s.multicast, destination) >= 0;
        }
        if (s.noUnicast) return false; // DEV-NET-086, even with ALLUNI on, and the port's own address too
        if (s.allUnicast) return true; // DEV-NET-083
        // DEV-NET-091: the primary address or one in the unicast table, nothing else.
        return destination == s.primaryMac || Arrays.binarySearch(s.unicast, destination) >= 0;
    }

    /** Applies {@code edit} to a copy of the state and publishes it: readers of {@link #accepts} never lock. */
    private synchronized void change(Consumer<State> edit) {
        State s = state.copy();
        edit.accept(s);
        state = s;
    }

    public void promiscuous(boolean on) {
        change(s -> s.promiscuous = on);
    }

    public void allMulticast(boolean on) {
        change(s -> s.allMulticast = on);
    }

    public void allUnicast(boolean on) {
        change(s -> s.allUnicast = on);
    }

    public void noMulticast(boolean on) {
        change(s -> s.noMulticast = on);
    }

    public void noUnicast(boolean on) {
        change(s -> s.noUnicast = on);
    }

    public void noBroadcast(boolean on) {
        change(s -> s.noBroadcast = on);
    }

    /** The address unicast frames are accepted for besides the table; {@link #NO_MAC} for none. */
    public void primaryMac(long mac) {
        if (mac != NO_MAC && (mac & ~0xffff_ffff_ffffL) != 0) throw new IllegalArgumentException("not a 48-bit MAC: " + Long.toHexString(mac));
        change(s -> s.primaryMac = mac);
    }

    /** Replaces both MAC tables at once, as MAC_TABLE_SET does: no frame sees one table new and the other old. */
    public void macTables(Collection<Long> unicast, Collection<Long> multicast) {
        long[] u = sorted(unicast);
        long[] m = sorted(multicast);
        change(s -> {
            s.unicast = u;
            s.multicast = m;
        });
    }

    /** Turns VLAN filtering on exactly when VIRTIO_NET_F_CTRL_VLAN was negotiated (DEV-NET-092). */
    public void vlanFiltering(boolean on) {
        change(s -> s.vlanFiltering = on);
    }

    public void addVlan(int id) {
        checkVlan(id);
        change(s -> {
            s.vlans = s.vlans.clone();
            s.vlans[id >>> 6] |= 1L << id;
        });
    }

    public void removeVlan(int id) {
        checkVlan(id);
        change(s -> {
            s.vlans = s.vlans.clone();
            s.vlans[id >>> 6] &= ~(1L << id);
        });
    }

    public boolean promiscuous() {
        return state.promiscuous;
    }

    public boolean allMulticast() {
        return state.allMulticast;
    }

    public boolean allUnicast() {
        return state.allUnicast;
    }

    public boolean noMulticast() {
        return state.noMulticast;
    }

    public boolean noUnicast() {
        return state.noUnicast;
    }

    public boolean noBroadcast() {
        return state.noBroadcast;
    }

    /**
     * The primary MAC now: what the configuration-space {@code mac} must show once a MAC_ADDR_SET was served, when
     * VIRTIO_NET_F_MAC was negotiated (DEV-NET-090).
     */
    public long primaryMac() {
        return state.primaryMac;
    }

    /** The unicast table, ascending. */
    public long[] unicastTable() {
        return state.unicast.clone();
    }

    /** The multicast table, ascending. */
    public long[] multicastTable() {
        return state.multicast.clone();
    }

    public boolean vlanFiltering() {
        return state.vlanFiltering;
    }

    public boolean hasVlan(int id) {
        return id >= 0 && id <= MAX_VLAN_ID && state.hasVlan(id);
    }

    private static void checkVlan(int id) {
        if (id < 0 || id > MAX_VLAN_ID) throw new IllegalArgumentException("VLAN id outside 0.." + MAX_VLAN_ID + ": " + id);
    }

    private static long[] sorted(Collection<Long> macs) {
        long[] a = macs.stream().mapToLong(Long::longValue).sorted().distinct().toArray();
        for (long m : a) {
            if ((m & ~0xffff_ffff_ffffL) != 0) throw new IllegalArgumentException("not a 48-bit MAC: " + Long.toHexString(m));
        }
        return a;
    }

    /**
     * One version of the settings. Fields are written only on a fresh copy, before it is published through the
     * volatile {@link #state}; published ones are never changed, arrays included.
     */
    private static final class State {
        boolean promiscuous;
        boolean allMulticast;
        boolean allUnicast;
        boolean noMulticast;
        boolean noUnicast;
        boolean noBroadcast;
        long primaryMac;
        long[] unicast;
        long[] multicast;
        /** 4096 bits, one per VLAN id. */
        long[] vlans;
        boolean vlanFiltering;

        static State initial(long mac) {
            State s = new State();
            s.promiscuous = true;
            s.primaryMac = mac;
            s.unicast = new long[0];
            s.multicast = new long[0];
            s.vlans = new long[(MAX_VLAN_ID + 1) / 64];
            return s;
        }

        /** A copy sharing the arrays; a setter that changes an array clones it first. */
        State copy() {
            State s = new State();
            s.promiscuous = promiscuous;
            s.allMulticast = allMulticast;
            s.allUnicast = allUnicast;
            s.noMulticast = noMulticast;
            s.noUnicast = noUnicast;
            s.noBroadcast = noBroadcast;
            s.primaryMac = primaryMac;
            s.unicast = unicast;
            s.multicast = multicast;
            s.vlans = vlans;
            s.vlanFiltering = vlanFiltering;
            return s;
        }

        boolean hasVlan(int id) {
            return (vlans[id >>> 6] & 1L << id) != 0;
        }
    }
}

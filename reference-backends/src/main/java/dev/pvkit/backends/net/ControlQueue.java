package dev.pvkit.backends.net;

import dev.pvkit.sdk.device.ReadableBuffers;
import dev.pvkit.sdk.device.WritableBuffers;
import dev.pvkit.sdk.virtio.VirtioFeatures;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

import static dev.pvkit.backends.net.ControlCommand.*;
import static dev.pvkit.backends.net.VirtioNet.*;

/**
 * Serves the virtio-net control queue (virtio 1.4 §5.1.9.5) for one negotiation: RX modes and MAC tables go to a
 * {@link ReceiveFilter}, VQ_PAIRS_SET to a callback, ANNOUNCE_ACK to another. Every command gets an ack,
 * {@link #OK} when it was applied, {@link #ERR} when not, and each refusal comes with a {@link NetFinding} naming the
 * requirement the driver broke ({@code null} when none in net.yaml covers it). A command is applied completely
 * or not at all, and before {@code handle} returns, so it is in force before the device marks its buffer used
 * (DEV-NET-089, DEV-NET-095, DEV-NET-100).
 *
 * <p>Make one per feature negotiation: the features are fixed for its life, and the constructor sets the filter's VLAN
 * filtering to whether VIRTIO_NET_F_CTRL_VLAN was negotiated. Calls must not overlap (a queue is served by one worker).
 * Nothing a driver puts in a chain makes it throw. A callback that throws propagates out of {@code handle}; {@link #serve}
 * answers ERR for it instead, the command then counting as not applied.
 */
public final class ControlQueue {
    // The ack byte.
    public static final int OK = 0;
    public static final int ERR = 1;
    /** In an {@link Outcome} from {@link #serve}: no ack was written, as the chain had no writable byte. */
    public static final int NO_ACK = -1;

    /** Bounds the copy out of guest memory: over 5000 addresses per MAC table, more than any filter needs. */
    public static final int MAX_COMMAND_BYTES = 64 * 1024;
    /** The largest max_virtqueue_pairs a device may report (DEV-NET-002). */
    public static final int MAX_PAIRS_LIMIT = 0x8000;

    private static final int MAC_BYTES = 6;

    private final long features;
    private final int maxPairs;
    private final ReceiveFilter filter;
    private final IntConsumer pairsChanged;
    private final BooleanSupplier announceAcked;
    private volatile int pairs = 1;

    /**
     * As {@link #ControlQueue(long, int, ReceiveFilter, IntConsumer, BooleanSupplier)}, for a device that never asks
     * the driver to announce itself: an ANNOUNCE_ACK finds nothing pending.
     */
    public ControlQueue(long features, int maxPairs, ReceiveFilter filter, IntConsumer pairsChanged) {
        this(features, maxPairs, filter, pairsChanged, () -> false);
    }

    /**
     * A control queue for the negotiated {@code features}, offering {@code maxPairs} queue pairs (max_virtqueue_pairs,
     * 1 without MQ). {@code pairsChanged} gets the pair count of every valid VQ_PAIRS_SET, before its ack is
     * returned. {@code announceAcked} must clear VIRTIO_NET_S_ANNOUNCE in the configuration status (DEV-NET-095) and
     * answer whether it was set.
     */
    public ControlQueue(long features, int maxPairs, ReceiveFilter filter, IntConsumer pairsChanged, BooleanSupplier announceAcked) {
        if (maxPairs < 1 || maxPairs > MAX_PAIRS_LIMIT) {
            throw new IllegalArgumentException("max_virtqueue_pairs outside 1..0x8000 (DEV-NET-002): " + maxPairs);
        }
        this.features = features;
        this.maxPairs = maxPairs;
        this.filter = Objects.requireNonNull(filter, "filter");
        this.pairsChanged = Objects.requireNonNull(pairsChanged, "pairsChanged");
        this.announceAcked = Objects.requireNonNull(announceAcked, "announceAcked");
        filter.vlanFiltering(has(F_CTRL_VLAN));
    }

    /**
     * The ack for a command ({@link #NO_ACK} when none could be written), what was wrong with it, and the command as
     * read ({@code null} when the chain held none).
     */
    public record Outcome(int ack, List<NetFinding> findings, ControlCommand command) {
        public Outcome {
            findings = List.copyOf(findings);
        }

        /** An outcome before the command is attached to it. */
        public Outcome(int ack, List<NetFinding> findings) {
            this(ack, findings, null);
        }

        public boolean ok() {
            return ack == OK;
        }

        /** Bytes written into the chain's writable part: what to complete the request with. */
        public int written() {
            return ack == NO_ACK ? 0 : 1;
        }
    }

    /** The pair count in force: 1 until a valid VQ_PAIRS_SET (DEV-NET-099). */
    public int pairs() {
        return pairs;
    }

    /**
     * Serves one chain: reads the command from {@code in}, applies it, writes the ack into the first byte of
     * {@code out}. A chain without a writable byte cannot learn the outcome, so its command is not applied at all.
     * Returns what happened; complete the request with {@link Outcome#written()}.
     */
    public Outcome serve(ReadableBuffers in, WritableBuffers out) {
        List<NetFinding> findings = new ArrayList<>(1);
        if (out.length() == 0) {
            findings.add(new NetFinding(null, true, "control chain has no writable byte for the ack; command not applied"));
            return new Outcome(NO_ACK, findings);
        }
        if (out.length() > 1) {
            // The commands served here have no result after the ack: the rest of the writable part stays untouched.
            findings.add(new NetFinding(null, false, "control chain has " + out.length()
                    + " writable bytes; only the 1-byte ack is written"));
        }
        Outcome o;
        if (in.length() > MAX_COMMAND_BYTES) {
            o = new Outcome(ERR, List.of(new NetFinding(null, true, "control chain of " + in.length()
                    + " readable bytes exceeds the " + MAX_COMMAND_BYTES + " this device reads")));
        } else {
            try {
                byte[] b = new byte[(int) in.length()];
                in.read(0, b, 0, b.length);
                o = handle(b);
            } catch (RuntimeException e) {
                // Guest memory gone under the chain, or a callback failing: the command counts as not applied.
                o = new Outcome(ERR, List.of(new NetFinding(null, true, "control command failed: " + e)));
            }
        }
        findings.addAll(o.findings());
        out.writeU8(0, (byte) o.ack());
        return new Outcome(o.ack(), findings, o.command());
    }

    /** Decodes and applies the readable bytes of a control chain. */
    public Outcome handle(byte[] readable) {
        Decoded d = ControlCommand.decode(readable);
        if (d.command() == null) return new Outcome(ERR, List.of(d.finding()));
        Outcome o = handle(d.command());
        return new Outcome(o.ack(), o.findings(), d.command());
    }

    /** Applies {@code c} if the negotiation allows it and its data is well formed. */
    public Outcome handle(ControlCommand c) {
        if (!has(VirtioNet.F_CTRL_VQ)) {
            // Every class depends on CTRL_VQ; without it the driver has no control queue to send on.
            return refused(null, "control command without VIRTIO_NET_F_CTRL_VQ negotiated");
        }
        return switch (c.commandClass()) {
            case CLASS_RX -> rx(c);
            case CLASS_MAC -> mac(c);
            case CLASS_VLAN -> vlan(c);
            case CLASS_ANNOUNCE -> announce(c);
            case CLASS_MQ -> mq(c);
            default -> unserved(c);
        };
    }

    private Outcome rx(ControlCommand c) {
        int cmd = c.command();
        String name = switch (cmd) {
            case RX_PROMISC -> "RX_PROMISC";
            case RX_ALLMULTI -> "RX_ALLMULTI";
            case RX_ALLUNI -> "RX_ALLUNI";
            case RX_NOMULTI -> "RX_NOMULTI";
            case RX_NOUNI -> "RX_NOUNI";
            case RX_NOBCAST -> "RX_NOBCAST";
            default -> null;
        };
        if (name == null) return unknown(c);
        if (cmd <= RX_ALLMULTI && !has(F_CTRL_RX)) return refused("DRV-NET-078", name + " without VIRTIO_NET_F_CTRL_RX");
        if (cmd > RX_ALLMULTI && !has(F_CTRL_RX_EXTRA)) return refused("DRV-NET-079", name + " without VIRTIO_NET_F_CTRL_RX_EXTRA");
        byte[] d = c.data();
        if (d.length != 1) return refused(null, name + " takes 1 data byte, got " + d.length);
        if (d[0] != 0 && d[0] != 1) return refused(null, name + " data byte is " + (d[0] & 0xff) + ", neither 0 nor 1");
        boolean on = d[0] == 1;
        switch (cmd) {
            case RX_PROMISC -> filter.promiscuous(on);
            case RX_ALLMULTI -> filter.allMulticast(on);
            case RX_ALLUNI -> filter.allUnicast(on);
            case RX_NOMULTI -> filter.noMulticast(on);
            case RX_NOUNI -> filter.noUnicast(on);
            default -> filter.noBroadcast(on);
        }
        return ok();
    }

    private Outcome mac(ControlCommand c) {
        if (c.command() != MAC_TABLE_SET && c.command() != MAC_ADDR_SET) return unknown(c);
        String name = c.command() == MAC_TABLE_SET ? "MAC_TABLE_SET" : "MAC_ADDR_SET";
        if (!has(F_CTRL_RX)) return refused("DRV-NET-080", name + " (class MAC) without VIRTIO_NET_F_CTRL_RX");
        byte[] d = c.data();
        if (c.command() == MAC_ADDR_SET) {
            // No requirement in net.yaml forbids MAC_ADDR_SET without the feature that announces it; refused all the same.
            if (!has(F_CTRL_MAC_ADDR)) return refused(null, "MAC_ADDR_SET without VIRTIO_NET_F_CTRL_MAC_ADDR");
            if (d.length != MAC_BYTES) return refused(null, "MAC_ADDR_SET takes 6 data bytes, got " + d.length);
            long m = Ethernet.mac(d, 0);
            if (Ethernet.isGroup(m)) return refused(null, "MAC_ADDR_SET to group address " + Ethernet.formatMac(m));
            filter.primaryMac(m);
            return ok();
        }
        // DRV-NET-082: le32 count, that many unicast addresses, le32 count, that many multicast addresses, nothing else.
        List<Long> unicast = new ArrayList<>();
        List<Long> multicast = new ArrayList<>();
        String problem = macTable(d, 0, unicast, false);
        if (problem == null) problem = macTable(d, 4 + MAC_BYTES * unicast.size(), multicast, true);
        if (problem == null) {
            int end = 8 + MAC_BYTES * (unicast.size() + multicast.size());
            if (end != d.length) problem = (d.length - end) + " bytes after the multicast table";
        }
        if (problem != null) return refused("DRV-NET-082", "MAC_TABLE_SET data of " + d.length + " bytes: " + problem);
        filter.macTables(unicast, multicast);
        return ok();
    }

    /**
     * Reads one table at {@code at} into {@code out}; returns what is wrong with it, or null. The count is checked
     * against the bytes there before anything is read, so a hostile count costs nothing.
     */
    private static String macTable(byte[] d, int at, List<Long> out, boolean group) {
        String which = group ? "multicast" : "unicast";
        if (d.length - at < 4) return "no room for the " + which + " count";
        long count = Integer.toUnsignedLong(le32(d, at));
        long room = (d.length - at - 4) / MAC_BYTES;
        if (count > room) return which + " count " + count + " but room for " + room + " addresses";
        for (int i = 0; i < count; i++) {
            long m = Ethernet.mac(d, at + 4 + MAC_BYTES * i);
            if (Ethernet.isGroup(m) != group) {
                return Ethernet.formatMac(m) + " in the " + which + " table is " + (group ? "not a group address" : "a group address");
            }
            out.add(m);
        }
        return null;
    }

    private Outcome vlan(ControlCommand c) {
        if (c.command() != VLAN_ADD && c.command() != VLAN_DEL) return unknown(c);
        String name = c.command() == VLAN_ADD ? "VLAN_ADD" : "VLAN_DEL";
        // No requirement in net.yaml forbids VLAN commands without CTRL_VLAN; without it there is no table to change.
        if (!has(F_CTRL_VLAN)) return refused(null, name + " without VIRTIO_NET_F_CTRL_VLAN");
        byte[] d = c.data();
        if (d.length != 2) return refused(null, name + " takes a 2-byte VLAN id, got " + d.length + " bytes");
        int id = le16(d, 0);
        if (id > ReceiveFilter.MAX_VLAN_ID) return refused(null, name + " of VLAN id " + id + ", outside 0..4095");
        if (c.command() == VLAN_ADD) filter.addVlan(id);
        else filter.removeVlan(id); // removing an id not in the table changes nothing and is no error
        return ok();
    }

    private Outcome announce(ControlCommand c) {
        if (c.command() != ANNOUNCE_ACK) return unknown(c);
        // No requirement in net.yaml forbids ANNOUNCE_ACK without GUEST_ANNOUNCE; without it no announce was asked for.
        if (!has(F_GUEST_ANNOUNCE)) return refused(null, "ANNOUNCE_ACK without VIRTIO_NET_F_GUEST_ANNOUNCE");
        if (c.dataLength() != 0) return refused(null, "ANNOUNCE_ACK takes no data, got " + c.dataLength() + " bytes");
        if (!announceAcked.getAsBoolean()) {
            // Harmless: the bit is clear either way. Acknowledged, and noted, as DRV-NET-085 ties the ack to a request.
            return new Outcome(OK, List.of(new NetFinding(null, false, "ANNOUNCE_ACK while no announce was pending")));
        }
        return ok();
    }

    private Outcome mq(ControlCommand c) {
        switch (c.command()) {
            case MQ_VQ_PAIRS_SET -> {
                // No requirement in net.yaml forbids VQ_PAIRS_SET without MQ; without it there is one pair to use.
                if (!has(VirtioNet.F_MQ)) return refused(null, "VQ_PAIRS_SET without VIRTIO_NET_F_MQ");
                byte[] d = c.data();
                if (d.length != 2) return refused(null, "VQ_PAIRS_SET takes a 2-byte pair count, got " + d.length + " bytes");
                int n = le16(d, 0);
                if (n == 0) return refused("DRV-NET-087", "VQ_PAIRS_SET of 0 queue pairs");
                if (n > maxPairs) return refused("DRV-NET-088", "VQ_PAIRS_SET of " + n + " queue pairs, above max_virtqueue_pairs " + maxPairs);
                pairsChanged.accept(n);
                pairs = n;
                return ok();
            }
            case MQ_RSS_CONFIG -> {
                return refused(has(F_RSS) ? null : "DRV-NET-091",
                        "RSS_CONFIG " + (has(F_RSS) ? "is not served by this device" : "without VIRTIO_NET_F_RSS"));
            }
            case MQ_HASH_CONFIG -> {
                return refused(null, "HASH_CONFIG " + (has(F_HASH_REPORT) ? "is not served by this device" : "without VIRTIO_NET_F_HASH_REPORT"));
            }
            default -> {
                return unknown(c);
            }
        }
    }

    /**
     * Classes this device does not serve. Each belongs to a feature it never offers, so a command of one is the
     * driver's mistake; where net.yaml names the rule broken, the finding names it.
     */
    private Outcome unserved(ControlCommand c) {
        int cmd = c.command();
        String id = null;
        String what;
        int feature;
        switch (c.commandClass()) {
            case CLASS_GUEST_OFFLOADS -> {
                if (cmd != 0) return unknown(c);
                what = "GUEST_OFFLOADS_SET";
                feature = F_CTRL_GUEST_OFFLOADS;
            }
            case CLASS_NOTF_COAL -> {
                if (cmd > 3) return unknown(c);
                what = "NOTF_COAL command " + cmd;
                // TX_SET and RX_SET (0, 1) belong to NOTF_COAL, VQ_SET and VQ_GET (2, 3) to VQ_NOTF_COAL.
                feature = cmd <= 1 ? F_NOTF_COAL : F_VQ_NOTF_COAL;
                id = cmd <= 1 ? "DRV-NET-101" : "DRV-NET-102";
            }
            case CLASS_HASH_TUNNEL -> {
                if (cmd != 0) return unknown(c);
                what = "HASH_TUNNEL_SET";
                feature = F_HASH_TUNNEL;
                id = "DRV-NET-075";
            }
            case CLASS_STATS -> {
                if (cmd > 1) return unknown(c);
                what = cmd == 0 ? "STATS_QUERY" : "STATS_GET";
                feature = F_DEVICE_STATS;
            }
            case CLASS_RSS_CTX -> {
                if (cmd > 3) return unknown(c);
                // VIRTIO_NET_F_RSS_CONTEXT is bit 64, beyond the 64 feature bits PVKit negotiates: never negotiated.
                return refused("DRV-NET-096", "RSS context command " + cmd + " without VIRTIO_NET_F_RSS_CONTEXT");
            }
            default -> {
                return unknown(c);
            }
        }
        if (has(feature)) return refused(null, what + " is not served by this device");
        return refused(id, what + " without feature bit " + feature);
    }

    private static Outcome unknown(ControlCommand c) {
        return refused(null, "unknown control command: class " + c.commandClass() + ", command " + c.command());
    }

    private static Outcome refused(String requirement, String message) {
        return new Outcome(ERR, List.of(new NetFinding(requirement, true, message)));
    }

    private static Outcome ok() {
        return new Outcome(OK, List.of());
    }

    private boolean has(int feature) {
        return VirtioFeatures.has(features, feature);
    }

    private static int le16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    private static int le32(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }
}

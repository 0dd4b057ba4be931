package dev.pvkit.conformance.check;

import dev.pvkit.backends.net.ControlCommand;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.RingEvent;

import java.util.List;
import java.util.Set;

/**
 * Commands on a net control queue PVKit's device served (virtio 1.x 5.1.6.5): the device judges each command against
 * the negotiated features and its own max_virtqueue_pairs as it serves it ({@link dev.pvkit.backends.net.ControlQueue}),
 * and the event carries what it found. A command of the kind a requirement is about keeps it unless the device found
 * it breaking it. QEMU's vhost-user-net serves the guest's control queue itself, so under QEMU these requirements
 * stay unexercised; PVKit's own front-end and front-ends that hand the queue over put them to the test.
 */
public final class NetControlCheck implements Check {
    public static final String RX_NEEDS_CTRL_RX = "DRV-NET-078";
    public static final String RX_EXTRA_NEEDS_CTRL_RX_EXTRA = "DRV-NET-079";
    public static final String MAC_NEEDS_CTRL_RX = "DRV-NET-080";
    public static final String MAC_TABLE_LAYOUT = "DRV-NET-082";
    public static final String PAIRS_NOT_ZERO = "DRV-NET-087";
    public static final String PAIRS_WITHIN_MAX = "DRV-NET-088";
    public static final String HASH_TUNNEL_NEEDS_FEATURE = "DRV-NET-075";
    public static final String RSS_CONFIG_NEEDS_RSS = "DRV-NET-091";
    public static final String RSS_CONTEXT_NEEDS_FEATURE = "DRV-NET-096";
    public static final String COALESCING_NEEDS_NOTF_COAL = "DRV-NET-101";
    public static final String VQ_COALESCING_NEEDS_VQ_NOTF_COAL = "DRV-NET-102";

    @Override
    public Set<String> decides() {
        return Set.of(RX_NEEDS_CTRL_RX, RX_EXTRA_NEEDS_CTRL_RX_EXTRA, MAC_NEEDS_CTRL_RX, MAC_TABLE_LAYOUT, PAIRS_NOT_ZERO, PAIRS_WITHIN_MAX,
                HASH_TUNNEL_NEEDS_FEATURE, RSS_CONFIG_NEEDS_RSS, RSS_CONTEXT_NEEDS_FEATURE, COALESCING_NEEDS_NOTF_COAL,
                VQ_COALESCING_NEEDS_VQ_NOTF_COAL);
    }

    @Override
    public String name() {
        return "net control commands";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        for (RingEvent.NetControl c : session.events(RingEvent.NetControl.class)) {
            for (String id : about(c)) {
                String why = c.broken().get(id);
                if (why == null) findings.kept(id, c);
                else findings.broke(id, c.queue(), c, c.describe() + ": " + why);
            }
        }
    }

    /** The requirements a command of {@code c}'s kind is about. */
    private static List<String> about(RingEvent.NetControl c) {
        return switch (c.commandClass()) {
            case ControlCommand.CLASS_RX -> c.command() <= ControlCommand.RX_ALLMULTI ? List.of(RX_NEEDS_CTRL_RX)
                    : c.command() <= ControlCommand.RX_NOBCAST ? List.of(RX_EXTRA_NEEDS_CTRL_RX_EXTRA) : List.of();
            case ControlCommand.CLASS_MAC -> c.command() == ControlCommand.MAC_TABLE_SET ? List.of(MAC_NEEDS_CTRL_RX, MAC_TABLE_LAYOUT)
                    : List.of(MAC_NEEDS_CTRL_RX);
            case ControlCommand.CLASS_MQ -> c.command() == ControlCommand.MQ_VQ_PAIRS_SET ? List.of(PAIRS_NOT_ZERO, PAIRS_WITHIN_MAX)
                    : c.command() == ControlCommand.MQ_RSS_CONFIG ? List.of(RSS_CONFIG_NEEDS_RSS) : List.of();
            // Classes of features PVKit's device never offers: any such command breaks its requirement.
            case ControlCommand.CLASS_HASH_TUNNEL -> List.of(HASH_TUNNEL_NEEDS_FEATURE);
            case ControlCommand.CLASS_RSS_CTX -> List.of(RSS_CONTEXT_NEEDS_FEATURE);
            case ControlCommand.CLASS_NOTF_COAL -> c.command() <= 1 ? List.of(COALESCING_NEEDS_NOTF_COAL)
                    : c.command() <= 3 ? List.of(VQ_COALESCING_NEEDS_VQ_NOTF_COAL) : List.of();
            default -> List.of();
        };
    }
}

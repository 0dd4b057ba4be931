package dev.pvkit.conformance.check;

import dev.pvkit.backends.net.ControlCommand;
import dev.pvkit.backends.net.Ethernet;
import dev.pvkit.backends.net.VirtioNet;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.RingEvent;
import dev.pvkit.conformance.observe.VhostUserEvent;
import dev.pvkit.sdk.virtio.VirtioFeatures;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a driver that negotiated GUEST_ANNOUNCE does when the device asks it to announce itself (virtio 1.x 5.1.6.5.4):
 * it tells its peers where it is now, with gratuitous packets [DRV-NET-084], and acknowledges the request on the
 * control queue [DRV-NET-085]. A request comes from PVKit's device ({@code VirtioNetDevice.announce}, whose control
 * queue then takes the ack) or from QEMU's {@code announce-self} (QEMU takes the ack, so only the packets are judged).
 *
 * <p>An announcement is a transmitted frame to a group address of a kind peers learn addresses from: ARP (Linux's
 * gratuitous ARP), RARP (what QEMU sends for a guest that cannot announce) or IPv6 (unsolicited neighbour
 * advertisements). A request is decided as broken only when the session went on for {@link #GRACE_MICROS} after it
 * without the packet or ack; a session that ends sooner decides nothing.
 */
public final class NetAnnounceCheck implements Check {
    public static final String ANNOUNCES_ITSELF = "DRV-NET-084";
    public static final String ACKNOWLEDGES = "DRV-NET-085";
    /** How long a driver has to answer a request before its silence counts: Linux answers within milliseconds. */
    public static final long GRACE_MICROS = 1_000_000;
    private static final int TYPE_RARP = 0x8035;
    private static final int TYPE_IPV6 = 0x86dd;

    @Override
    public Set<String> decides() {
        return Set.of(ANNOUNCES_ITSELF, ACKNOWLEDGES);
    }

    @Override
    public String name() {
        return "net announce";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        List<VhostUserEvent.NetDeviceFacts> facts = session.events(VhostUserEvent.NetDeviceFacts.class);
        if (facts.isEmpty()) return;
        long features = facts.get(facts.size() - 1).negotiatedFeatures();
        // QEMU acks CTRL_VQ for the driver without telling a vhost-user back-end (it serves that queue itself), so only
        // GUEST_ANNOUNCE is looked for: without it no request was made to this driver (QEMU's announce-self then sends
        // a RARP on the driver's behalf instead).
        if (!VirtioFeatures.has(features, VirtioNet.F_GUEST_ANNOUNCE)) return;
        List<RingEvent.NetTransmit> sent = session.events(RingEvent.NetTransmit.class);
        List<RingEvent.NetControl> commands = session.events(RingEvent.NetControl.class);
        for (VhostUserEvent.NetAnnounceRequested r : session.events(VhostUserEvent.NetAnnounceRequested.class)) {
            boolean decidable = session.endMicros() - r.micros() >= GRACE_MICROS;
            Optional<RingEvent.NetTransmit> announcement = sent.stream()
                    .filter(t -> t.micros() >= r.micros() && isAnnouncement(t)).findFirst();
            if (announcement.isPresent()) findings.kept(ANNOUNCES_ITSELF, announcement.get());
            else if (decidable) {
                findings.broke(ANNOUNCES_ITSELF, VirtioNet.TX, r, r.describe() + ": no gratuitous packet (ARP, RARP or IPv6 to a group"
                        + " address) was transmitted in the " + seconds(session.endMicros() - r.micros()) + " the session went on");
            }
            if (!r.ackReachesDevice()) continue;
            Optional<RingEvent.NetControl> ack = commands.stream()
                    .filter(c -> c.micros() >= r.micros() && c.commandClass() == ControlCommand.CLASS_ANNOUNCE
                            && c.command() == ControlCommand.ANNOUNCE_ACK).findFirst();
            if (ack.isPresent()) findings.kept(ACKNOWLEDGES, ack.get());
            else if (decidable) {
                findings.broke(ACKNOWLEDGES, -1, r, r.describe() + ": no ANNOUNCE_ACK came on the control queue in the "
                        + seconds(session.endMicros() - r.micros()) + " the session went on");
            }
        }
    }

    private static boolean isAnnouncement(RingEvent.NetTransmit t) {
        if (t.destinationMac() < 0 || !Ethernet.isGroup(t.destinationMac())) return false;
        return t.etherType() == Ethernet.TYPE_ARP || t.etherType() == TYPE_RARP || t.etherType() == TYPE_IPV6;
    }

    private static String seconds(long micros) {
        return String.format("%.1f s", micros / 1e6);
    }
}

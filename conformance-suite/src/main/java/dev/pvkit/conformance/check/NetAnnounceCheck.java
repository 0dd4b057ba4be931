package dev.pvkit.conformance.check;

import dev.pvkit.backends.net.ControlCommand;
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
 * <p>An announcement is a transmitted frame the device found announcing its sender ({@link
 * dev.pvkit.backends.net.Announcement}): a gratuitous ARP (sender and target address the same, as Linux sends), a
 * RARP, or an unsolicited IPv6 neighbour advertisement. An ARP request for another host does not count, though a
 * driver whose link came back sends one soon enough. A request is decided as broken only when the session went on for {@link #GRACE_MICROS} after it
 * without the packet or ack; a session that ends sooner decides nothing.
 */
public final class NetAnnounceCheck implements Check {
    public static final String ANNOUNCES_ITSELF = "DRV-NET-084";
    public static final String ACKNOWLEDGES = "DRV-NET-085";
    /** How long a driver has to answer a request before its silence counts: Linux answers within milliseconds. */
    public static final long GRACE_MICROS = 1_000_000;

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
                    .filter(t -> t.micros() >= r.micros() && t.announcement()).findFirst();
            if (announcement.isPresent()) findings.kept(ANNOUNCES_ITSELF, announcement.get());
            else if (decidable) {
                findings.broke(ANNOUNCES_ITSELF, VirtioNet.TX, r, r.describe() + ": no gratuitous packet (ARP for its own address, RARP or"
                        + " unsolicited IPv6 neighbour advertisement) was transmitted in the " + seconds(session.endMicros() - r.micros()) + " the session went on");
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

    private static String seconds(long micros) {
        return String.format("%.1f s", micros / 1e6);
    }
}

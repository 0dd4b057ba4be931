package dev.pvkit.backends.net;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static dev.pvkit.backends.net.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

/** IPv4 fragments: split at an MTU, put back together in any order, bounded against a guest sending anything. */
class Ipv4ReassemblyTest {
    private static byte[] bigPing() {
        return echoRequest(GUEST_MAC, RESPONDER_MAC, GUEST_IP, RESPONDER_IP, 7, 1, pattern(9000));
    }

    @Test
    void aPacketLargerThanTheMtuLeavesInFragmentsEachWithinIt() {
        List<byte[]> parts = Ipv4.fragments(bigPing(), 1500);
        assertThat(parts).hasSize(7); // 9008 bytes of ICMP in 1480-byte pieces
        for (byte[] p : parts) assertThat(p.length - VirtioNet.ETH_HEADER).isLessThanOrEqualTo(1500);
        assertThat(Ipv4.fragments(echoRequest(GUEST_MAC, RESPONDER_MAC, GUEST_IP, RESPONDER_IP, 7, 1, pattern(100)), 1500)).hasSize(1);
    }

    @Test
    void anMtuTooSmallForAFragmentIsRefusedRatherThanLoopedOn() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Ipv4.fragments(bigPing(), 27)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fragmentsInAnyOrderAndRepeatedGiveBackThePacket() {
        byte[] whole = bigPing();
        List<byte[]> parts = new ArrayList<>(Ipv4.fragments(whole, 1500));
        Collections.reverse(parts);
        parts.add(2, parts.get(0)); // a fragment twice
        Ipv4Reassembly r = new Ipv4Reassembly();
        byte[] got = null;
        for (byte[] p : parts) {
            assertThat(got).as("nothing before the last byte came").isNull();
            got = r.add(p);
        }
        assertThat(got).isEqualTo(whole);
        assertThat(Ipv4.parse(got)).as("a valid, unfragmented packet").isNotNull();
        assertThat(r.inProgress()).isZero();
    }

    @Test
    void aPacketWithAFragmentMissingIsNeverGivenAndTheTableStaysBounded() {
        Ipv4Reassembly r = new Ipv4Reassembly();
        for (int id = 0; id < 100; id++) {
            List<byte[]> parts = Ipv4.fragments(echoRequest(GUEST_MAC, RESPONDER_MAC, GUEST_IP, RESPONDER_IP, id, 1, pattern(4000)), 1500);
            for (byte[] p : parts.subList(1, parts.size())) assertThat(r.add(p)).isNull();
        }
        assertThat(r.inProgress()).isEqualTo(Ipv4Reassembly.MAX_PACKETS);
    }

    @Test
    void aFragmentReachingPast64KibIsDropped() {
        byte[] f = Ipv4.fragments(bigPing(), 1500).get(1);
        Ipv4.put16(f, Ipv4.AT + 6, 0x2000 | 8190); // offset 65520
        Ipv4.put16(f, Ipv4.AT + 10, 0);
        Ipv4.put16(f, Ipv4.AT + 10, Ipv4.checksum(f, Ipv4.AT, 20, 0));
        assertThat(new Ipv4Reassembly().add(f)).isNull();
    }

    @Test
    void theResponderAnswersAFragmentedPingInFragments() {
        EthernetSwitch sw = new EthernetSwitch();
        Responder responder = new Responder(sw, RESPONDER_MAC, RESPONDER_IP, 24);
        List<byte[]> heard = Collections.synchronizedList(new ArrayList<>());
        SwitchPort guest = new SwitchPort() {
            @Override
            public String name() {
                return "guest";
            }

            @Override
            public void deliver(byte[] frame) {
                heard.add(frame);
            }
        };
        sw.attach(guest);
        for (byte[] p : Ipv4.fragments(bigPing(), 1500)) sw.forward(guest, p);
        assertThat(responder.answered()).isEqualTo(1);
        assertThat(heard).hasSize(7);
        Ipv4Reassembly r = new Ipv4Reassembly();
        byte[] reply = null;
        for (byte[] p : heard) reply = r.add(p);
        assertThat(reply).isNotNull();
        Ipv4.Packet packet = Ipv4.parse(reply);
        assertThat(packet.protocol()).isEqualTo(Ipv4.PROTO_ICMP);
        assertThat(reply[packet.payloadAt()]).as("an echo reply").isZero();
        assertThat(packet.payloadLength()).isEqualTo(9008);
    }
}

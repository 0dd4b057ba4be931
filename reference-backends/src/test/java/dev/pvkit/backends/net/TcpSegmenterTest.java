package dev.pvkit.backends.net;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.pvkit.backends.net.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * Software TCP segmentation of TSO packets: every segment a receiver could take for one sent alone (lengths,
 * identification, sequence numbers, flags, checksums), the payload unchanged, and any malformed frame refused with a
 * reason instead of an exception. Checksums are verified here by summing independently, not with {@link Ipv4}.
 */
class TcpSegmenterTest {
    private static final int FIN = 0x01;
    private static final int PSH = 0x08;
    private static final int ACK = 0x10;
    private static final int ECE = 0x40;
    private static final int CWR = 0x80;
    /** Router Alert, three NOPs, End of options: 8 bytes, so IHL 7. */
    private static final byte[] IP_OPTIONS = {(byte) 0x94, 0x04, 0, 0, 1, 1, 1, 0};
    /** NOP, NOP, Timestamps: 12 bytes, so data offset 8. */
    private static final byte[] TCP_OPTIONS = {1, 1, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78};
    /** Close enough to 2^32 that the sequence numbers of the big packets wrap in their second segment. */
    private static final int SEQ = 0xffff_ff00;
    private static final int V4 = VirtioNet.GSO_TCPV4;
    private static final int V6 = VirtioNet.GSO_TCPV6;

    @Test
    void aFloodSegmentsAPacketOnceForEveryPortThatNeedsItSegmented() {
        byte[] frame = tcp4(new byte[0], new byte[0], 1, SEQ, ACK, pattern(10_000));
        Ethernet.putMac(frame, 0, Ethernet.BROADCAST);
        EthernetSwitch sw = new EthernetSwitch();
        List<List<byte[]>> heard = new java.util.ArrayList<>();
        SwitchPort sender = port("sender", new java.util.ArrayList<>());
        sw.attach(sender);
        for (int i = 0; i < 3; i++) {
            List<byte[]> got = new java.util.ArrayList<>();
            heard.add(got);
            sw.attach(port("plain" + i, got));
        }
        sw.forward(sender, frame, new Offload(V4, 1448, 54, 34, 16));
        assertThat(heard.get(0)).hasSize(7);
        for (List<byte[]> got : heard.subList(1, 3)) {
            assertThat(got).hasSize(7);
            for (int i = 0; i < 7; i++) assertThat(got.get(i)).as("the same segments, made once").isSameAs(heard.get(0).get(i));
        }
    }

    private static SwitchPort port(String name, List<byte[]> heard) {
        return new SwitchPort() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void deliver(byte[] frame) {
                heard.add(frame);
            }
        };
    }

    @Test
    void a64000ByteTcpV4PacketWithOptionsBecomes45ProperSegments() {
        byte[] payload = pattern(64_000);
        byte[] frame = tcp4(IP_OPTIONS, TCP_OPTIONS, 0x1234, SEQ, ACK | PSH | FIN | CWR | ECE, payload);
        byte[] before = frame.clone();

        List<byte[]> segments = TcpSegmenter.segment(frame, V4, 1448);

        assertThat(TcpSegmenter.whyNot(frame, V4, 1448)).isNull();
        assertThat(frame).as("the input is left alone").isEqualTo(before);
        assertThat(segments).hasSize(45); // 44 * 1448 = 63,712, and 288 bytes in the last
        assertThat(segments).extracting(s -> s.length).containsOnly(14 + 28 + 32 + 1448, 14 + 28 + 32 + 288);
        assertThat(segments.get(44)).hasSize(14 + 28 + 32 + 288);
        assertProperSegments(frame, V4, 1448, segments);
        for (int i = 0; i < segments.size(); i++) {
            assertThat(u16(segments.get(i), 18)).as("identification of segment %d", i).isEqualTo(0x1234 + i);
        }
        assertThat(seq(segments.get(1))).as("wrapped past 2^32").isEqualTo(SEQ + 1448).isPositive();
    }

    @Test
    void a64000ByteTcpV6PacketWithOptionsBecomes45ProperSegments() {
        byte[] payload = pattern(64_000);
        byte[] frame = tcp6(TCP_OPTIONS, SEQ, ACK | PSH | FIN | CWR, payload);
        byte[] before = frame.clone();

        List<byte[]> segments = TcpSegmenter.segment(frame, V6, 1440);

        assertThat(TcpSegmenter.whyNot(frame, V6, 1440)).isNull();
        assertThat(frame).isEqualTo(before);
        assertThat(segments).hasSize(45); // 44 * 1440 = 63,360, and 640 bytes in the last
        assertThat(segments.get(0)).hasSize(14 + 40 + 32 + 1440);
        assertThat(segments.get(44)).hasSize(14 + 40 + 32 + 640);
        assertProperSegments(frame, V6, 1440, segments);
    }

    @Test
    void theEcnBitInGsoTypeIsAcceptedAndCwrStillOnlyOnTheFirst() {
        byte[] frame = tcp4(new byte[0], new byte[0], 7, 1000, ACK | CWR, pattern(5000));
        List<byte[]> segments = TcpSegmenter.segment(frame, V4 | VirtioNet.GSO_ECN, 1000);
        assertThat(segments).hasSize(5);
        assertProperSegments(frame, V4, 1000, segments);
    }

    @Test
    void identificationAndSequenceNumbersWrapAround() {
        byte[] frame = tcp4(new byte[0], new byte[0], 0xffff, -1, ACK, pattern(30));
        List<byte[]> segments = TcpSegmenter.segment(frame, V4, 10);
        assertThat(segments).extracting(s -> u16(s, 18)).containsExactly(0xffff, 0, 1);
        assertThat(segments).extracting(TcpSegmenterTest::seq).containsExactly(-1, 9, 19);
        assertProperSegments(frame, V4, 10, segments);
    }

    @Test
    void aPacketThatFitsComesBackAsOneFrameWithItsChecksumsCompleted() {
        for (int size : new int[]{0, 1, 999, 1448}) {
            byte[] v4 = tcp4(IP_OPTIONS, TCP_OPTIONS, 99, SEQ, ACK | PSH | FIN | CWR, pattern(size));
            byte[] v6 = tcp6(TCP_OPTIONS, SEQ, ACK | PSH | FIN | CWR, pattern(size));
            for (byte[] frame : List.of(v4, v6)) {
                int type = frame == v4 ? V4 : V6;
                List<byte[]> out = TcpSegmenter.segment(frame, type, 1448);
                assertThat(out).as("payload %d, gso_type %d", size, type).hasSize(1);
                assertProperSegments(frame, type, 1448, out);
                byte[] expected = frame.clone();
                byte[] got = out.get(0).clone();
                zeroChecksums(expected, type);
                zeroChecksums(got, type);
                assertThat(got).as("nothing but the checksums changes").isEqualTo(expected);
            }
        }
    }

    @Test
    void onePayloadByteOverGsoSizeMakesASecondSegmentOfOneByte() {
        byte[] frame = tcp6(new byte[0], 5, ACK | FIN, pattern(1449));
        List<byte[]> out = TcpSegmenter.segment(frame, V6, 1448);
        assertThat(out).extracting(s -> s.length).containsExactly(14 + 40 + 20 + 1448, 14 + 40 + 20 + 1);
        assertProperSegments(frame, V6, 1448, out);
    }

    @Test
    void ethernetPaddingIsAllowedAndNotCopiedIntoTheSegments() {
        byte[] v4 = tcp4(new byte[0], new byte[0], 1, 1, ACK, pattern(4));
        byte[] padded = Arrays.copyOf(v4, 64);
        Arrays.fill(padded, v4.length, padded.length, (byte) 0xee);

        List<byte[]> out = TcpSegmenter.segment(padded, V4, 1448);
        assertThat(out).singleElement().satisfies(s -> assertThat(s).hasSize(v4.length));
        assertProperSegments(padded, V4, 1448, out);
        assertThat(TcpSegmenter.segment(padded, V4, 2)).hasSize(2);

        byte[] v6 = Arrays.copyOf(tcp6(new byte[0], 1, ACK, pattern(3000)), 14 + 40 + 20 + 3000 + 7);
        assertThat(TcpSegmenter.segment(v6, V6, 1000)).hasSize(3).allSatisfy(s -> assertThat(s.length).isLessThanOrEqualTo(14 + 40 + 20 + 1000));
    }

    @Test
    void aFrameCutShortAnywhereIsRefused() {
        byte[] v4 = tcp4(IP_OPTIONS, TCP_OPTIONS, 1, 1, ACK, pattern(100));
        byte[] v6 = tcp6(TCP_OPTIONS, 1, ACK, pattern(100));
        // Every length from nothing through the end of the headers (74 and 86 bytes) up to one byte short.
        for (int n = 0; n < v4.length; n++) assertRefused(Arrays.copyOf(v4, n), V4, 1448, null);
        for (int n = 0; n < v6.length; n++) assertRefused(Arrays.copyOf(v6, n), V6, 1448, null);
        assertRefused(Arrays.copyOf(v4, 14 + 10), V4, 1448, "IPv4 header");
        assertRefused(Arrays.copyOf(v4, 14 + 24), V4, 1448, "past the frame");
        assertRefused(Arrays.copyOf(v6, 14 + 39), V6, 1448, "IPv6 header");
        assertRefused(Arrays.copyOf(v6, v6.length - 1), V6, 1448, "frame holds");
        assertRefused(null, V4, 1448, "no frame");
    }

    @Test
    void aFrameWhoseTypeIsNotTheStatedOneIsRefused() {
        byte[] v4 = tcp4(new byte[0], new byte[0], 1, 1, ACK, pattern(100));
        byte[] v6 = tcp6(new byte[0], 1, ACK, pattern(100));
        assertRefused(v4, V6, 1448, "EtherType 0x0800");
        assertRefused(v6, V4, 1448, "EtherType 0x86dd");
        byte[] arp = v4.clone();
        Ipv4.put16(arp, 12, Ethernet.TYPE_ARP);
        assertRefused(arp, V4, 1448, "EtherType 0x0806");
        for (int type : new int[]{VirtioNet.GSO_NONE, VirtioNet.GSO_UDP, VirtioNet.GSO_UDP_L4, 2, 0xff, -1}) {
            assertRefused(v4, type, 1448, "gso_type");
        }
        byte[] version = v4.clone();
        version[14] = 0x65;
        assertRefused(version, V4, 1448, "version");
        version = v6.clone();
        version[14] = 0x40;
        assertRefused(version, V6, 1448, "version");
    }

    @Test
    void aPacketThatIsNotTcpIsRefused() {
        byte[] udp = tcp4(new byte[0], new byte[0], 1, 1, ACK, pattern(100));
        udp[14 + 9] = (byte) Ipv4.PROTO_UDP;
        assertRefused(udp, V4, 1448, "protocol 17");
        byte[] udp6 = tcp6(new byte[0], 1, ACK, pattern(100));
        udp6[14 + 6] = (byte) Ipv4.PROTO_UDP;
        assertRefused(udp6, V6, 1448, "next header 17");
        byte[] hopByHop = tcp6(new byte[0], 1, ACK, pattern(100));
        hopByHop[14 + 6] = 0; // an extension header: not handled
        assertRefused(hopByHop, V6, 1448, "next header 0");
        // A real UDP datagram, as the other tests build them.
        assertRefused(Udp.frame(GUEST_MAC, RESPONDER_MAC, GUEST_IP, 4000, RESPONDER_IP, 7, pattern(300)), V4, 100, "not TCP");
    }

    @Test
    void headerLengthsBelowTheMinimumAreRefused() {
        for (int ihl = 0; ihl < 5; ihl++) {
            byte[] f = tcp4(new byte[0], new byte[0], 1, 1, ACK, pattern(100));
            f[14] = (byte) (0x40 | ihl);
            assertRefused(f, V4, 1448, "IPv4 header length " + ihl * 4);
        }
        for (int offset = 0; offset < 5; offset++) {
            byte[] v4 = tcp4(new byte[0], new byte[0], 1, 1, ACK, pattern(100));
            v4[14 + 20 + 12] = (byte) (offset << 4);
            assertRefused(v4, V4, 1448, "data offset " + offset);
            byte[] v6 = tcp6(new byte[0], 1, ACK, pattern(100));
            v6[14 + 40 + 12] = (byte) (offset << 4);
            assertRefused(v6, V6, 1448, "data offset " + offset);
        }
    }

    @Test
    void lengthsThatDisagreeWithTheFrameAreRefused() {
        byte[] v4 = tcp4(IP_OPTIONS, new byte[0], 1, 1, ACK, pattern(100));
        byte[] f = v4.clone();
        Ipv4.put16(f, 16, u16(v4, 16) + 1);
        assertRefused(f, V4, 1448, "frame holds");
        Ipv4.put16(f, 16, 0xffff);
        assertRefused(f, V4, 1448, "frame holds");
        Ipv4.put16(f, 16, 27);
        assertRefused(f, V4, 1448, "less than its header length 28");
        Ipv4.put16(f, 16, 28 + 19);
        assertRefused(f, V4, 1448, "too short for a TCP header");
        f = v4.clone();
        f[14 + 28 + 12] = (byte) 0xf0; // a 60-byte TCP header in a 120-byte IP payload is fine; in 40 it is not
        Ipv4.put16(f, 16, 28 + 40);
        assertRefused(f, V4, 1448, "TCP header runs past");

        byte[] v6 = tcp6(new byte[0], 1, ACK, pattern(100));
        f = v6.clone();
        Ipv4.put16(f, 18, u16(v6, 18) + 1);
        assertRefused(f, V6, 1448, "frame holds");
        Ipv4.put16(f, 18, 0); // a jumbogram's payload length: not handled
        assertRefused(f, V6, 1448, "too short for a TCP header");
    }

    @Test
    void fragmentsAreRefusedButDontFragmentIsNot() {
        byte[] v4 = tcp4(new byte[0], new byte[0], 1, 1, ACK, pattern(100));
        for (int flagsAndOffset : new int[]{0x2000, 0x0001, 0x1fff, 0x6000 | 0x00b9}) {
            byte[] f = v4.clone();
            Ipv4.put16(f, 20, flagsAndOffset);
            assertRefused(f, V4, 1448, "fragment");
        }
        byte[] df = v4.clone();
        Ipv4.put16(df, 20, 0x4000);
        assertThat(TcpSegmenter.segment(df, V4, 50)).hasSize(2);
    }

    @Test
    void aGsoSizeBelowOneIsRefusedAndAHugeOneIsOneSegment() {
        byte[] v4 = tcp4(new byte[0], new byte[0], 1, 1, ACK, pattern(100));
        for (int size : new int[]{0, -1, Integer.MIN_VALUE}) assertRefused(v4, V4, size, "gso_size");
        assertThat(TcpSegmenter.segment(v4, V4, Integer.MAX_VALUE)).hasSize(1);
        List<byte[]> ones = TcpSegmenter.segment(v4, V4, 1);
        assertThat(ones).hasSize(100);
        assertProperSegments(v4, V4, 1, ones);
    }

    /**
     * 10,000 seeded inputs: random bytes, random bytes dressed as IPv4/IPv6 TCP so the deeper checks are reached,
     * and valid packets with a few bytes changed or cut. None throws; segment is empty exactly when whyNot gives a
     * reason; whatever is segmented is segmented properly.
     */
    @Test
    void randomInputNeverThrowsAndWhateverIsAcceptedIsSegmentedProperly() {
        Random random = new Random(0x5e9_7cb1L);
        int accepted = 0;
        int refused = 0;
        for (int i = 0; i < 10_000; i++) {
            int type = switch (random.nextInt(5)) {
                case 0, 1 -> V4;
                case 2, 3 -> V6;
                default -> random.nextInt(256);
            };
            int gsoSize = random.nextInt(10) == 0 ? random.nextInt(3) - 1 : 1 + random.nextInt(600);
            byte[] f = switch (i % 3) {
                case 0 -> randomBytes(random, random.nextInt(160));
                case 1 -> dressed(random, type);
                default -> mutated(random, type);
            };
            byte[] input = f;
            int t = type;
            assertThatCode(() -> {
                TcpSegmenter.whyNot(input, t, gsoSize);
                TcpSegmenter.segment(input, t, gsoSize);
            }).as("input %d", i).doesNotThrowAnyException();
            String why = TcpSegmenter.whyNot(f, type, gsoSize);
            List<byte[]> out = TcpSegmenter.segment(f, type, gsoSize);
            assertThat(out.isEmpty()).as("input %d: %s", i, why).isEqualTo(why != null);
            if (why == null) {
                accepted++;
                assertProperSegments(f, type, gsoSize, out);
            } else {
                refused++;
            }
        }
        assertThat(accepted).as("the loop reaches the segmentation path").isGreaterThan(1000);
        assertThat(refused).isGreaterThan(1000);
    }

    // -- checks, done without the code under test --------------------------------------------------------------

    /**
     * That {@code segments} is how {@code original} should be cut at {@code gsoSize}: headers repeated with only the
     * fields that must change changed, payload in order, sequence numbers continuous, FIN and PSH only last, CWR
     * only first, the IPv4 identification counting up, and every IPv4 header and TCP checksum right.
     */
    private static void assertProperSegments(byte[] original, int gsoType, int gsoSize, List<byte[]> segments) {
        boolean v6 = (gsoType & 0x7f) == V6;
        int tcpAt = 14 + (v6 ? 40 : (original[14] & 0xf) * 4);
        int headers = tcpAt + ((original[tcpAt + 12] & 0xff) >>> 4) * 4;
        int end = v6 ? tcpAt + u16(original, 18) : 14 + u16(original, 16);
        int payload = end - headers;
        int flags = original[tcpAt + 13] & 0xff;
        assertThat(segments).hasSize(Math.max(1, (int) ((payload + (long) gsoSize - 1) / gsoSize)));

        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (int i = 0; i < segments.size(); i++) {
            byte[] s = segments.get(i);
            boolean first = i == 0;
            boolean last = i == segments.size() - 1;
            int n = s.length - headers;
            assertThat(n).as("segment %d payload", i).isBetween(first && last ? 0 : 1, gsoSize);
            if (!last) assertThat(n).as("only the last segment is short").isEqualTo(gsoSize);

            byte[] expected = Arrays.copyOf(original, headers);
            byte[] got = Arrays.copyOf(s, headers);
            for (byte[] h : List.of(expected, got)) {
                zeroChecksums(h, gsoType);
                Arrays.fill(h, tcpAt + 4, tcpAt + 8, (byte) 0); // sequence number
                h[tcpAt + 13] = 0; // flags
                Arrays.fill(h, v6 ? 18 : 16, v6 ? 20 : 18, (byte) 0); // IP length
                if (!v6) Arrays.fill(h, 18, 20, (byte) 0); // identification
            }
            assertThat(got).as("segment %d headers, options included", i).isEqualTo(expected);

            assertThat(u16(s, v6 ? 18 : 16)).as("IP length").isEqualTo(s.length - (v6 ? 54 : 14));
            if (!v6) {
                assertThat(u16(s, 18)).as("identification").isEqualTo((u16(original, 18) + i) & 0xffff);
                assertThat(onesSum(s, 14, tcpAt, 0)).as("IPv4 header checksum of segment %d", i).isEqualTo(0xffff);
            }
            assertThat(seq(s)).as("sequence number of segment %d", i).isEqualTo(seq(original) + joined.size());
            int f = s[tcpAt + 13] & 0xff;
            assertThat(f & (FIN | PSH)).as("FIN and PSH of segment %d", i).isEqualTo(last ? flags & (FIN | PSH) : 0);
            assertThat(f & CWR).as("CWR of segment %d", i).isEqualTo(first ? flags & CWR : 0);
            assertThat(f & ~(FIN | PSH | CWR)).as("other flags").isEqualTo(flags & ~(FIN | PSH | CWR));

            int tcpLength = s.length - tcpAt;
            long pseudo = 6 + tcpLength + (v6 ? onesSum(s, 22, 54, 0) : onesSum(s, 26, 34, 0));
            assertThat(onesSum(s, tcpAt, s.length, pseudo)).as("TCP checksum of segment %d", i).isEqualTo(0xffff);
            joined.write(s, headers, n);
        }
        assertThat(joined.toByteArray()).as("the payloads joined").isEqualTo(Arrays.copyOfRange(original, headers, end));
    }

    private static void assertRefused(byte[] frame, int gsoType, int gsoSize, String reasonContains) {
        String why = TcpSegmenter.whyNot(frame, gsoType, gsoSize);
        String what = (frame == null ? "null" : frame.length + "-byte") + " frame, gso_type " + gsoType + ", gso_size " + gsoSize;
        assertThat(why).as(what).isNotBlank();
        if (reasonContains != null) assertThat(why).as(what).contains(reasonContains);
        assertThat(TcpSegmenter.segment(frame, gsoType, gsoSize)).as(what).isEmpty();
    }

    /** The ones'-complement sum of the 16-bit words in [{@code from}, {@code to}), folded to 16 bits. */
    private static int onesSum(byte[] b, int from, int to, long start) {
        long sum = start;
        for (int i = from; i < to; i += 2) sum += (b[i] & 0xff) << 8 | (i + 1 < to ? b[i + 1] & 0xff : 0);
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) sum;
    }

    private static void zeroChecksums(byte[] f, int gsoType) {
        boolean v6 = (gsoType & 0x7f) == V6;
        int tcpAt = 14 + (v6 ? 40 : (f[14] & 0xf) * 4);
        if (!v6) Arrays.fill(f, 24, 26, (byte) 0);
        Arrays.fill(f, tcpAt + 16, tcpAt + 18, (byte) 0);
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | b[at + 1] & 0xff;
    }

    private static int seq(byte[] f) {
        int tcpAt = 14 + (u16(f, 12) == 0x86dd ? 40 : (f[14] & 0xf) * 4);
        return u16(f, tcpAt + 4) << 16 | u16(f, tcpAt + 6);
    }

    // -- frames as a TSO driver hands them over ---------------------------------------------------------------

    static byte[] tcp4(byte[] ipOptions, byte[] tcpOptions, int id, int seq, int flags, byte[] payload) {
        int ihl = 20 + ipOptions.length;
        byte[] f = new byte[14 + ihl + 20 + tcpOptions.length + payload.length];
        Ethernet.putMac(f, 0, RESPONDER_MAC);
        Ethernet.putMac(f, 6, GUEST_MAC);
        Ipv4.put16(f, 12, Ethernet.TYPE_IPV4);
        f[14] = (byte) (0x40 | ihl / 4);
        f[15] = (byte) 0xb8; // DSCP EF: copied as it is
        Ipv4.put16(f, 16, f.length - 14);
        Ipv4.put16(f, 18, id);
        Ipv4.put16(f, 20, 0x4000); // DF
        f[22] = 64;
        f[23] = 6;
        Ipv4.put16(f, 24, 0xdead); // a header checksum the device must not trust
        Ipv4.put32(f, 26, GUEST_IP);
        Ipv4.put32(f, 30, RESPONDER_IP);
        System.arraycopy(ipOptions, 0, f, 34, ipOptions.length);
        int tcpAt = 14 + ihl;
        tcp(f, tcpAt, tcpOptions, seq, flags, payload);
        // What a driver leaves with NEEDS_CSUM: the pseudo-header's sum, uncomplemented, over the whole length.
        long partial = 6 + (f.length - tcpAt) + onesSum(f, 26, 34, 0);
        Ipv4.put16(f, tcpAt + 16, onesSum(new byte[0], 0, 0, partial));
        return f;
    }

    static byte[] tcp6(byte[] tcpOptions, int seq, int flags, byte[] payload) {
        byte[] f = new byte[14 + 40 + 20 + tcpOptions.length + payload.length];
        Ethernet.putMac(f, 0, RESPONDER_MAC);
        Ethernet.putMac(f, 6, GUEST_MAC);
        Ipv4.put16(f, 12, 0x86dd);
        Ipv4.put32(f, 14, 0x6b81_2345); // version 6, traffic class 0xb8, flow label 0x12345: copied as they are
        Ipv4.put16(f, 18, f.length - 54);
        f[20] = 6;
        f[21] = 64;
        Ipv4.put32(f, 22, 0xfd00_0000);
        Ipv4.put32(f, 34, 0x0000_0015); // fd00::15
        Ipv4.put32(f, 38, 0xfd00_0000);
        Ipv4.put32(f, 50, 0x0000_0002); // fd00::2
        tcp(f, 54, tcpOptions, seq, flags, payload);
        Ipv4.put16(f, 54 + 16, 0xbeef); // whatever the driver left there
        return f;
    }

    private static void tcp(byte[] f, int at, byte[] options, int seq, int flags, byte[] payload) {
        Ipv4.put16(f, at, 40_000);
        Ipv4.put16(f, at + 2, 5201);
        Ipv4.put32(f, at + 4, seq);
        Ipv4.put32(f, at + 8, 0x0102_0304);
        f[at + 12] = (byte) ((20 + options.length) / 4 << 4);
        f[at + 13] = (byte) flags;
        Ipv4.put16(f, at + 14, 0xffff);
        System.arraycopy(options, 0, f, at + 20, options.length);
        System.arraycopy(payload, 0, f, at + 20 + options.length, payload.length);
    }

    // -- random input ------------------------------------------------------------------------------------------

    private static byte[] randomBytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** Random bytes with the EtherType, IP version and protocol usually right, so the length checks get exercised. */
    private static byte[] dressed(Random random, int type) {
        byte[] f = randomBytes(random, random.nextInt(200));
        boolean v6 = random.nextBoolean() ? type == V6 : random.nextBoolean();
        if (f.length >= 14) Ipv4.put16(f, 12, v6 ? 0x86dd : 0x0800);
        if (f.length > 14) f[14] = (byte) (v6 ? 0x60 | f[14] & 0xf : 0x40 | random.nextInt(16));
        if (v6 && f.length > 20) f[20] = 6;
        if (!v6 && f.length > 23) f[23] = 6;
        if (!v6 && f.length > 21 && random.nextBoolean()) f[20] = f[21] = 0;
        if (f.length > 19 && random.nextBoolean()) Ipv4.put16(f, v6 ? 18 : 16, random.nextInt(f.length));
        return f;
    }

    /** A valid packet of the stated type with a few bytes changed, or cut, or lengthened. */
    private static byte[] mutated(Random random, int type) {
        byte[] payload = randomBytes(random, random.nextInt(400));
        byte[] ipOptions = random.nextBoolean() ? IP_OPTIONS : new byte[0];
        byte[] tcpOptions = random.nextBoolean() ? TCP_OPTIONS : new byte[0];
        int flags = random.nextInt(256);
        byte[] f = type == V6 ? tcp6(tcpOptions, random.nextInt(), flags, payload)
                : tcp4(ipOptions, tcpOptions, random.nextInt(0x10000), random.nextInt(), flags, payload);
        switch (random.nextInt(4)) {
            case 0 -> f = Arrays.copyOf(f, random.nextInt(f.length + 1));
            case 1 -> f = Arrays.copyOf(f, f.length + random.nextInt(50));
            default -> {
                for (int k = random.nextInt(4); k > 0; k--) f[random.nextInt(f.length)] = (byte) random.nextInt(256);
            }
        }
        return f;
    }
}

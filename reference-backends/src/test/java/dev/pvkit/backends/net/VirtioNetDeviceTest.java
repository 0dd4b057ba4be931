package dev.pvkit.backends.net;

import dev.pvkit.sdk.testkit.Completion;
import dev.pvkit.sdk.testkit.DeviceHarness;
import dev.pvkit.sdk.testkit.DeviceHarness.Buffers;
import dev.pvkit.sdk.testkit.DeviceHarness.Format;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static dev.pvkit.backends.net.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The virtio-net device through the SDK's driver model: frames through the switch to the responder and back,
 * mergeable buffers, and the transmit header rules a driver can break, each naming its requirement.
 */
class VirtioNetDeviceTest {
    private final EthernetSwitch sw = new EthernetSwitch();
    private final Responder responder = new Responder(sw, RESPONDER_MAC, RESPONDER_IP, 24);
    private VirtioNetDevice device;
    private DeviceHarness h;

    private DeviceHarness start(NetOptions o, Format format, long unwanted) {
        device = new VirtioNetDevice("port0", sw, o);
        h = DeviceHarness.of(device).ring(format).queueSize(64).requestDrain(Duration.ZERO)
                .features(device.features() & ~unwanted).start();
        return h;
    }

    @AfterEach
    void close() {
        if (h != null) h.close();
        if (device != null) device.close();
    }

    /** Posts {@code n} receive buffers of {@code bytes} each. */
    private void rxBuffers(int n, int bytes) {
        for (int i = 0; i < n; i++) h.post(VirtioNet.RX, Buffers.of().writable(bytes));
    }

    /** Transmits {@code packet} (header and frame) and returns the receive completions that follow, {@code rx} of them. */
    private List<Completion> exchange(byte[] packet, int rx) {
        h.post(VirtioNet.TX, Buffers.of(packet));
        List<Completion> all = h.awaitCompletions(1 + rx);
        assertThat(all.stream().filter(c -> c.queue() == VirtioNet.TX)).singleElement().satisfies(c -> assertThat(c.written()).isZero());
        return all.stream().filter(c -> c.queue() == VirtioNet.RX).toList();
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void theResponderAnswersArpAndItsReplyArrivesWholeInOneBuffer(Format format) {
        start(NetOptions.defaults(), format, 0);
        rxBuffers(4, 1526);
        List<Completion> rx = exchange(tx(arpRequest(GUEST_MAC, GUEST_IP, RESPONDER_IP)), 1);

        byte[] packet = rx.get(0).writtenBytes();
        NetHeader header = NetHeader.decode(packet);
        assertThat(header).isEqualTo(NetHeader.plain(1)); // DEV-NET-031, DEV-NET-037, DEV-NET-057
        byte[] reply = frameOf(packet);
        assertThat(Ethernet.destination(reply)).isEqualTo(GUEST_MAC);
        assertThat(Ethernet.type(reply)).isEqualTo(Ethernet.TYPE_ARP);
        assertThat(Ipv4.u16(reply, 20)).as("ARP reply").isEqualTo(2);
        assertThat(Ethernet.mac(reply, 22)).isEqualTo(RESPONDER_MAC);
        assertThat(sw.portOf(GUEST_MAC)).as("learnt").isSameAs(device);
        assertThat(device.counters().txFrames()).isEqualTo(1);
        assertThat(device.counters().rxFrames()).isEqualTo(1);
    }

    @Test
    void anEchoRequestComesBackWithValidChecksums() {
        start(NetOptions.defaults(), Format.SPLIT, 0);
        rxBuffers(2, 1526);
        byte[] data = pattern(56);
        byte[] reply = frameOf(exchange(tx(echoRequest(GUEST_MAC, RESPONDER_MAC, GUEST_IP, RESPONDER_IP, 77, 3, data)), 1).get(0).writtenBytes());

        Ipv4.Packet p = Ipv4.parse(reply);
        assertThat(p).as("a valid IPv4 packet, header checksum included").isNotNull();
        assertThat(p.source()).isEqualTo(RESPONDER_IP);
        assertThat(reply[p.payloadAt()]).as("echo reply").isEqualTo((byte) 0);
        assertThat(Ipv4.checksum(reply, p.payloadAt(), p.payloadLength(), 0)).isZero();
        assertThat(Arrays.copyOfRange(reply, p.payloadAt() + 8, p.payloadAt() + p.payloadLength())).isEqualTo(data);
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void aPacketLargerThanOneMergeableBufferSpansSeveralAndNumBuffersCountsThem(Format format) {
        start(NetOptions.defaults(), format, 0);
        rxBuffers(8, 64);
        byte[] data = pattern(200);
        byte[] request = Udp.frame(GUEST_MAC, RESPONDER_MAC, GUEST_IP, 4000, RESPONDER_IP, Responder.ECHO_PORT, data);
        List<Completion> rx = exchange(tx(request), 4); // 12 + 242 bytes in buffers of 64: 4 of them

        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (Completion c : rx) joined.writeBytes(c.writtenBytes());
        byte[] packet = joined.toByteArray();
        assertThat(NetHeader.decode(packet).numBuffers()).as("DEV-NET-034").isEqualTo(4);
        assertThat(rx).extracting(Completion::written).containsExactly(64L, 64L, 64L, 62L);
        byte[] reply = frameOf(packet);
        Udp.Datagram d = Udp.parse(reply, Ipv4.parse(reply));
        assertThat(d.destinationPort()).isEqualTo(4000);
        assertThat(Arrays.copyOfRange(reply, d.dataAt(), d.dataAt() + d.dataLength())).isEqualTo(data);
        assertThat(device.counters().rxBuffers()).isEqualTo(4);
    }

    @Test
    void withoutMergeableBuffersAPacketGoesInOneBufferOrIsDropped() {
        start(NetOptions.defaults(), Format.SPLIT, VirtioFeatures.bit(VirtioNet.F_MRG_RXBUF));
        rxBuffers(1, 1526);
        List<Completion> rx = exchange(tx(arpRequest(GUEST_MAC, GUEST_IP, RESPONDER_IP)), 1);
        assertThat(rx.get(0).written()).isEqualTo(54);
        assertThat(NetHeader.decode(rx.get(0).writtenBytes()).numBuffers()).as("DEV-NET-033").isEqualTo(1);

        // A buffer smaller than header + the 42-byte ARP reply: the reply is dropped, never split [DEV-NET-032],
        // and the buffer stays the driver's next one.
        rxBuffers(1, 40);
        h.post(VirtioNet.TX, Buffers.of(tx(arpRequest(GUEST_MAC, GUEST_IP, RESPONDER_IP))));
        assertThat(h.awaitCompletions(1)).singleElement().satisfies(c -> assertThat(c.queue()).isEqualTo(VirtioNet.TX));
        await().atMost(Duration.ofSeconds(5)).until(() -> device.counters().rxDropped() == 1);
        assertThat(h.run()).isEmpty();
    }

    @Test
    void aHeaderSplitAcrossDescriptorsIsReadAcrossThem() {
        start(NetOptions.defaults(), Format.SPLIT, 0);
        rxBuffers(1, 1526);
        byte[] packet = tx(arpRequest(GUEST_MAC, GUEST_IP, RESPONDER_IP));
        h.post(VirtioNet.TX, Buffers.of(Arrays.copyOfRange(packet, 0, 5), Arrays.copyOfRange(packet, 5, 9),
                Arrays.copyOfRange(packet, 9, packet.length)));
        List<Completion> all = h.awaitCompletions(2);
        assertThat(all).anySatisfy(c -> assertThat(c.queue()).isEqualTo(VirtioNet.RX));
        assertThat(device.counters().findings()).isEmpty();
    }

    @Test
    void segmentationThatWasNotNegotiatedIsDroppedAndNamed() {
        start(NetOptions.defaults(), Format.SPLIT, VirtioFeatures.bit(VirtioNet.F_HOST_TSO4));
        NetHeader tso = new NetHeader(VirtioNet.FLAG_NEEDS_CSUM, VirtioNet.GSO_TCPV4, 54, 1448, 34, 16, 0);
        h.post(VirtioNet.TX, Buffers.of(tx(tso, echoRequest(GUEST_MAC, RESPONDER_MAC, GUEST_IP, RESPONDER_IP, 1, 1, pattern(8)))));
        h.awaitCompletions(1);
        assertThat(device.counters().txDropped()).isEqualTo(1);
        assertThat(device.counters().findings()).containsOnlyKeys("DRV-NET-022");
        assertThat(responder.answered()).isZero();
    }

    @Test
    void aChecksumLeftToTheDeviceIsCompletedBeforeTheFrameGoesOn() {
        byte[] whole = Udp.frame(GUEST_MAC, RESPONDER_MAC, GUEST_IP, 4000, RESPONDER_IP, 9, pattern(101));
        byte[] partial = whole.clone();
        int udp = Ipv4.AT + 20;
        // What a driver with NEEDS_CSUM leaves: the pseudo-header sum, folded and not complemented [DRV-NET-040].
        long pseudo = Ipv4.pseudoSum(GUEST_IP, RESPONDER_IP, Ipv4.PROTO_UDP, whole.length - udp);
        while (pseudo >>> 16 != 0) pseudo = (pseudo & 0xffff) + (pseudo >>> 16);
        Ipv4.put16(partial, udp + 6, (int) pseudo);
        Offload.completeChecksum(partial, udp, 6);
        assertThat(partial).isEqualTo(whole);

        start(NetOptions.defaults(), Format.SPLIT, 0);
        assertThat(VirtioFeatures.has(h.features(), VirtioNet.F_CSUM)).isTrue();
        rxBuffers(1, 1526);
        byte[] echo = Udp.frame(GUEST_MAC, RESPONDER_MAC, GUEST_IP, 4000, RESPONDER_IP, Responder.ECHO_PORT, pattern(20));
        Ipv4.put16(echo, udp + 6, 0x1234); // a wrong checksum the device must overwrite
        byte[] reply = frameOf(exchange(tx(new NetHeader(VirtioNet.FLAG_NEEDS_CSUM, 0, 0, 0, udp, 6, 0), echo), 1).get(0).writtenBytes());
        assertThat(Udp.parse(reply, Ipv4.parse(reply)).destinationPort()).isEqualTo(4000);
        assertThat(device.counters().findings()).isEmpty();
    }

    @Test
    void aChainShorterThanTheHeaderIsDropped() {
        start(NetOptions.defaults(), Format.SPLIT, 0);
        h.post(VirtioNet.TX, Buffers.of(new byte[6]));
        h.awaitCompletions(1);
        assertThat(device.counters().findings()).containsOnlyKeys("DRV-NET-061");
        assertThat(device.counters().txDropped()).isEqualTo(1);
    }

    @Test
    void aFrameOverTheNegotiatedMtuIsDropped() {
        start(NetOptions.defaults().withMtu(1400), Format.SPLIT, 0);
        byte[] big = Udp.frame(GUEST_MAC, RESPONDER_MAC, GUEST_IP, 4000, RESPONDER_IP, Responder.ECHO_PORT, new byte[1400]);
        h.post(VirtioNet.TX, Buffers.of(tx(big)));
        h.awaitCompletions(1);
        assertThat(device.counters().findings()).containsOnlyKeys("DRV-NET-009");
        assertThat(responder.answered()).isZero();
    }

    @Test
    void aNonzeroNumBuffersOnTransmitIsNamedButTheFrameStillGoes() {
        start(NetOptions.defaults(), Format.SPLIT, 0);
        rxBuffers(1, 1526);
        List<Completion> rx = exchange(tx(new NetHeader(0, 0, 0, 0, 0, 0, 1), arpRequest(GUEST_MAC, GUEST_IP, RESPONDER_IP)), 1);
        assertThat(rx).hasSize(1);
        assertThat(device.counters().findings()).containsOnlyKeys("DRV-NET-017");
    }

    @Test
    void framesWaitingForBuffersAreBoundedAndTheRestDropped() {
        start(new NetOptions(GUEST_MAC, 1500, true, true, true, 64, 8, 1), Format.SPLIT, 0);
        for (int i = 0; i < 10; i++) device.deliver(arpRequest(RESPONDER_MAC, RESPONDER_IP, GUEST_IP));
        assertThat(device.counters().rxDropped()).isEqualTo(2);
        rxBuffers(8, 1526);
        assertThat(h.awaitCompletions(8)).allSatisfy(c -> assertThat(c.written()).isEqualTo(54));
    }

    @Test
    void theResponderLeasesAnAddressOverDhcp() {
        start(NetOptions.defaults(), Format.SPLIT, 0);
        rxBuffers(1, 1526);
        byte[] offer = frameOf(exchange(tx(dhcpDiscover(GUEST_MAC, 0x1234)), 1).get(0).writtenBytes());
        Udp.Datagram d = Udp.parse(offer, Ipv4.parse(offer));
        assertThat(d.destinationPort()).isEqualTo(68);
        assertThat(Ipv4.i32(offer, d.dataAt() + 4)).as("xid").isEqualTo(0x1234);
        assertThat(Ipv4.format(Ipv4.i32(offer, d.dataAt() + 16))).as("yiaddr").isEqualTo("10.0.2.100");
    }

    @Test
    void twoPortsReachEachOtherThroughTheSwitch() {
        start(NetOptions.defaults(), Format.PACKED, 0);
        VirtioNetDevice other = new VirtioNetDevice("port1", sw, NetOptions.defaults().withPacked(false));
        try (DeviceHarness h2 = DeviceHarness.of(other).requestDrain(Duration.ZERO).start()) {
            long otherMac = 0x5254_0000_0002L;
            for (int i = 0; i < 2; i++) h2.post(VirtioNet.RX, Buffers.of().writable(1526));
            rxBuffers(2, 1526);
            // port1 announces itself (flooded to port0 and the responder), then port0 answers it unicast.
            h2.post(VirtioNet.TX, Buffers.of(tx(arpRequest(otherMac, Ipv4.parse("10.0.2.16"), GUEST_IP))));
            h2.awaitCompletions(1);
            byte[] flooded = frameOf(h.awaitCompletions(1).get(0).writtenBytes());
            assertThat(Ethernet.source(flooded)).isEqualTo(otherMac);
            byte[] unicast = echoRequest(GUEST_MAC, otherMac, GUEST_IP, Ipv4.parse("10.0.2.16"), 5, 1, pattern(32));
            h.post(VirtioNet.TX, Buffers.of(tx(unicast)));
            h.awaitCompletions(1);
            byte[] got = frameOf(h2.awaitCompletions(1).get(0).writtenBytes());
            assertThat(got).isEqualTo(unicast);
            assertThat(sw.forwarded()).isEqualTo(1);
        } finally {
            other.close();
        }
    }

    // ---------------------------------------------------------------- multiqueue

    private static final int RX2 = 2;
    private static final int TX2 = 3;

    /** Starts a two-pair device with {@code unwanted} features refused and two receive buffers on each receive queue. */
    private void startTwoPairs(long unwanted) {
        device = new VirtioNetDevice("port0", sw, NetOptions.defaults().withQueuePairs(2));
        h = DeviceHarness.of(device).queueSize(64).requestDrain(Duration.ZERO).features(device.features() & ~unwanted).start();
        for (int q : new int[]{VirtioNet.RX, RX2}) for (int i = 0; i < 2; i++) h.post(q, Buffers.of().writable(1526));
    }

    /** Sends {@code command} on the control queue and returns the ack the device wrote. */
    private int control(ControlCommand command) {
        h.post(device.controlQueue(), Buffers.of(command.encode()).writable(1));
        Completion c = h.awaitCompletions(1).get(0);
        assertThat(c.queue()).isEqualTo(device.controlQueue());
        return c.writtenBytes()[0];
    }

    /** Transmits {@code frame} on {@code txQueue} and returns the queue its one reply arrived on. */
    private int replyQueueOf(int txQueue, byte[] frame) {
        h.post(txQueue, Buffers.of(tx(frame)));
        List<Completion> all = h.awaitCompletions(2);
        return all.stream().filter(c -> c.queue() % 2 == 0).findFirst().orElseThrow().queue();
    }

    @Test
    void twoPairsAreOfferedWithMqAndTheirCountInTheConfigurationSpace() {
        VirtioNetDevice d = new VirtioNetDevice("port0", sw, NetOptions.defaults().withQueuePairs(2));
        try {
            assertThat(VirtioFeatures.has(d.features(), VirtioNet.F_MQ)).isTrue();
            assertThat(d.queueCount()).as("two pairs and the control queue").isEqualTo(5);
            assertThat(d.controlQueue()).isEqualTo(4);
            byte[] config = d.config();
            assertThat((config[VirtioNet.CFG_MAX_VIRTQUEUE_PAIRS] & 0xff) | (config[VirtioNet.CFG_MAX_VIRTQUEUE_PAIRS + 1] & 0xff) << 8)
                    .as("little-endian max_virtqueue_pairs").isEqualTo(2);
        } finally {
            d.close();
        }
        assertThat(VirtioFeatures.has(new VirtioNetDevice("one", new EthernetSwitch(), NetOptions.defaults()).features(), VirtioNet.F_MQ)).isFalse();
    }

    @Test
    void aFlowTransmittedOnTheSecondPairIsAnsweredOnTheSecondReceiveQueue() {
        startTwoPairs(0);
        assertThat(control(ControlCommand.of(ControlCommand.CLASS_MQ, ControlCommand.MQ_VQ_PAIRS_SET, (byte) 2, (byte) 0))).isEqualTo(ControlQueue.OK);
        byte[] ping = echoRequest(GUEST_MAC, RESPONDER_MAC, GUEST_IP, RESPONDER_IP, 9, 1, pattern(24));
        assertThat(replyQueueOf(TX2, ping)).as("DEV-NET-097").isEqualTo(RX2);
        assertThat(replyQueueOf(VirtioNet.TX, ping)).as("the flow moved to the first pair").isEqualTo(VirtioNet.RX);
        assertThat(replyQueueOf(TX2, arpRequest(GUEST_MAC, GUEST_IP, RESPONDER_IP))).as("ARP has no flow: first queue").isEqualTo(VirtioNet.RX);
        assertThat(device.transmittedOn(1)).isEqualTo(2);
        assertThat(device.receivedOn(1)).isEqualTo(1);
    }

    @Test
    void beforeVqPairsSetOnlyTheFirstPairReceives() {
        startTwoPairs(0);
        byte[] ping = echoRequest(GUEST_MAC, RESPONDER_MAC, GUEST_IP, RESPONDER_IP, 9, 1, pattern(24));
        assertThat(replyQueueOf(TX2, ping)).as("DEV-NET-099").isEqualTo(VirtioNet.RX);
        assertThat(control(ControlCommand.of(ControlCommand.CLASS_MQ, ControlCommand.MQ_VQ_PAIRS_SET, (byte) 3, (byte) 0)))
                .as("DRV-NET-088: more pairs than offered is refused").isEqualTo(ControlQueue.ERR);
        assertThat(device.counters().findings()).containsKey("DRV-NET-088");
        assertThat(replyQueueOf(TX2, ping)).isEqualTo(VirtioNet.RX);
    }

    @Test
    void withPromiscuousModeOffTheControlQueueFiltersWhatThePortReceives() {
        start(NetOptions.defaults(), Format.SPLIT, 0);
        assertThat(control(ControlCommand.of(ControlCommand.CLASS_RX, ControlCommand.RX_PROMISC, (byte) 0))).isEqualTo(ControlQueue.OK);
        rxBuffers(2, 1526);
        VirtioNetDevice other = new VirtioNetDevice("port1", sw, NetOptions.defaults());
        try {
            // Flooded frames for someone else: refused now that the port is not promiscuous [DEV-NET-091].
            sw.forward(other, echoRequest(0x0200_0000_0077L, 0x0200_0000_0088L, RESPONDER_IP, GUEST_IP, 1, 1, pattern(8)));
            assertThat(device.counters().rxFiltered()).isEqualTo(1);
            // One for the port's own MAC still arrives.
            sw.forward(other, echoRequest(0x0200_0000_0077L, NetOptions.defaults().mac(), RESPONDER_IP, GUEST_IP, 1, 2, pattern(8)));
            assertThat(h.awaitCompletions(1)).singleElement().satisfies(c -> assertThat(c.queue()).isEqualTo(VirtioNet.RX));
        } finally {
            other.close();
        }
    }

    @Test
    void withoutMqNegotiatedEveryFrameArrivesOnTheFirstReceiveQueue() {
        startTwoPairs(VirtioFeatures.bit(VirtioNet.F_MQ));
        byte[] ping = echoRequest(GUEST_MAC, RESPONDER_MAC, GUEST_IP, RESPONDER_IP, 9, 1, pattern(24));
        assertThat(replyQueueOf(TX2, ping)).as("DEV-NET-099").isEqualTo(VirtioNet.RX);
    }

    @Test
    void aDisabledSecondPairReceivesNothingAndWhatWaitedForItIsDropped() {
        startTwoPairs(VirtioFeatures.bit(VirtioNet.F_CTRL_VQ)); // as under QEMU, which serves the control queue itself
        device.queueEnabled(RX2, false); // what QEMU does when the driver asks for one pair
        byte[] ping = echoRequest(GUEST_MAC, RESPONDER_MAC, GUEST_IP, RESPONDER_IP, 9, 1, pattern(24));
        assertThat(replyQueueOf(TX2, ping)).as("DEV-NET-100").isEqualTo(VirtioNet.RX);
        assertThat(device.receivedOn(1)).isZero();
    }

    @Test
    void theLinkGoesDownWithAConfigurationChangeAndNothingCrossesWhileItIsDown() {
        start(NetOptions.defaults(), Format.SPLIT, 0);
        rxBuffers(2, 1526);
        assertThat(device.setLink(false)).as("the driver was told").isTrue();
        assertThat(h.configChangesAnnounced()).isEqualTo(1);
        assertThat(device.config()[VirtioNet.CFG_STATUS] & VirtioNet.STATUS_LINK_UP).as("LINK_UP clear").isZero();
        h.post(VirtioNet.TX, Buffers.of(tx(arpRequest(GUEST_MAC, GUEST_IP, RESPONDER_IP))));
        assertThat(h.awaitCompletions(1)).singleElement().satisfies(c -> assertThat(c.queue()).isEqualTo(VirtioNet.TX));
        assertThat(device.counters().txDropped()).as("nothing goes out while the link is down").isEqualTo(1);
        assertThat(responder.answered()).isZero();

        assertThat(device.setLink(true)).isTrue();
        assertThat(h.configChangesAnnounced()).isEqualTo(2);
        assertThat(device.config()[VirtioNet.CFG_STATUS] & VirtioNet.STATUS_LINK_UP).isEqualTo(VirtioNet.STATUS_LINK_UP);
        assertThat(exchange(tx(arpRequest(GUEST_MAC, GUEST_IP, RESPONDER_IP)), 1)).hasSize(1);
    }

    @Test
    void anAnnounceRequestSetsAnnounceUntilTheDriversAckWhichFindsItAlreadyClear() {
        start(NetOptions.defaults(), Format.SPLIT, 0);
        assertThat(device.features() & VirtioFeatures.bit(VirtioNet.F_GUEST_ANNOUNCE)).as("offered").isNotZero();
        assertThat(device.announce()).isTrue();
        assertThat(h.configChangesAnnounced()).as("the driver is told").isEqualTo(1);
        assertThat(device.config()[VirtioNet.CFG_STATUS] & VirtioNet.STATUS_ANNOUNCE).isEqualTo(VirtioNet.STATUS_ANNOUNCE);
        assertThat(control(ControlCommand.of(ControlCommand.CLASS_ANNOUNCE, ControlCommand.ANNOUNCE_ACK))).isEqualTo(ControlQueue.OK);
        // The ack was written after ANNOUNCE was cleared: the driver that sees its command used reads it clear.
        assertThat(device.config()[VirtioNet.CFG_STATUS] & VirtioNet.STATUS_ANNOUNCE).as("DEV-NET-095").isZero();
        assertThat(device.config()[VirtioNet.CFG_STATUS] & VirtioNet.STATUS_LINK_UP).as("the link is untouched").isEqualTo(VirtioNet.STATUS_LINK_UP);
    }

    @Test
    void aResetClearsAPendingAnnounce() {
        start(NetOptions.defaults(), Format.SPLIT, 0);
        assertThat(device.announce()).isTrue();
        device.reset();
        assertThat(device.announcing()).isFalse();
        assertThat(device.config()[VirtioNet.CFG_STATUS] & VirtioNet.STATUS_ANNOUNCE).isZero();
    }

    @Test
    void withoutGuestAnnounceNegotiatedNoAnnounceIsAskedFor() {
        start(NetOptions.defaults(), Format.SPLIT, VirtioFeatures.bit(VirtioNet.F_GUEST_ANNOUNCE));
        assertThat(device.announce()).isFalse();
        assertThat(h.configChangesAnnounced()).isZero();
        assertThat(device.config()[VirtioNet.CFG_STATUS] & VirtioNet.STATUS_ANNOUNCE).isZero();
    }

    // ---------------------------------------------------------------- segmentation offloads

    private static final long NOBODY = 0x0200_0000_0099L; // an address no port has: the switch floods to every port

    /** A port on the switch with its own harness, negotiating what it offers but {@code unwanted}, with receive buffers. */
    private record Peer(VirtioNetDevice device, DeviceHarness harness) implements AutoCloseable {
        static Peer of(EthernetSwitch sw, String name, long unwanted, int buffers, int bytes) {
            VirtioNetDevice d = new VirtioNetDevice(name, sw, NetOptions.defaults().withPacked(false));
            DeviceHarness h = DeviceHarness.of(d).queueSize(64).maxChainBytes(70_000).requestDrain(Duration.ZERO)
                    .features(d.features() & ~unwanted).start();
            for (int i = 0; i < buffers; i++) h.post(VirtioNet.RX, Buffers.of().writable(bytes));
            return new Peer(d, h);
        }

        @Override
        public void close() {
            harness.close();
            device.close();
        }
    }

    /** Linux's MSS on a 1500-byte MTU: 1460 less 12 bytes of timestamps for IPv4, 20 fewer again for IPv6's header. */
    private static int mss(boolean v6) {
        return v6 ? 1428 : 1448;
    }

    /** A TSO packet as a driver hands it over: the payload, NEEDS_CSUM on the TCP checksum, gso_size the MSS. */
    private static byte[] tsoPacket(boolean v6, byte[] payload) {
        byte[] f = v6 ? TcpSegmenterTest.tcp6(new byte[0], 1000, 0x18, payload) : TcpSegmenterTest.tcp4(new byte[0], new byte[0], 7, 1000, 0x18, payload);
        Ethernet.putMac(f, 0, NOBODY);
        int tcp = v6 ? 54 : 34;
        NetHeader h = new NetHeader(VirtioNet.FLAG_NEEDS_CSUM, v6 ? VirtioNet.GSO_TCPV6 : VirtioNet.GSO_TCPV4, tcp + 20, mss(v6), tcp, 16, 0);
        return tx(h, f);
    }

    @ParameterizedTest(name = "IPv6: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void aTsoPacketReachesAPortWithGuestTsoWholeAndOneWithoutAsValidSegments(boolean v6) {
        start(NetOptions.defaults(), Format.SPLIT, 0);
        long noGuestTso = VirtioFeatures.bit(VirtioNet.F_GUEST_TSO4) | VirtioFeatures.bit(VirtioNet.F_GUEST_TSO6);
        byte[] payload = pattern(20_000);
        try (Peer whole = Peer.of(sw, "whole", 0, 2, 65_600); Peer segments = Peer.of(sw, "segments", noGuestTso, 16, 1526)) {
            h.post(VirtioNet.TX, Buffers.of(tsoPacket(v6, payload)));
            h.awaitCompletions(1);
            assertThat(device.counters().findings()).isEmpty();
            assertThat(device.counters().txSegmentation()).isEqualTo(1);

            byte[] got = whole.harness().awaitCompletions(1).get(0).writtenBytes();
            NetHeader gh = NetHeader.decode(got);
            assertThat(gh.gsoType()).as("DEV-NET-039/041: the type the port negotiated").isEqualTo(v6 ? VirtioNet.GSO_TCPV6 : VirtioNet.GSO_TCPV4);
            assertThat(gh.gsoSize()).isEqualTo(mss(v6));
            assertThat(gh.flags()).isEqualTo(VirtioNet.FLAG_NEEDS_CSUM);
            assertThat(gh.hdrLen()).as("DEV-NET-063: headers through TCP").isEqualTo((v6 ? 54 : 34) + 20);
            assertThat(frameOf(got).length).isEqualTo((v6 ? 74 : 54) + 20_000);
            assertThat(whole.device().counters().rxSegmentation()).isEqualTo(1);

            int expected = (20_000 + mss(v6) - 1) / mss(v6);
            List<Completion> segs = segments.harness().awaitCompletions(expected);
            ByteArrayOutputStream joined = new ByteArrayOutputStream();
            for (Completion c : segs) {
                byte[] pkt = c.writtenBytes();
                assertThat(NetHeader.decode(pkt)).as("DEV-NET-057: a plain packet").isEqualTo(NetHeader.plain(1));
                byte[] f = frameOf(pkt);
                int tcp = v6 ? 54 : 34;
                assertThat(f.length).isLessThanOrEqualTo(tcp + 20 + mss(v6));
                if (!v6) assertThat(Ipv4.checksum(f, 14, 20, 0)).as("IPv4 header checksum").isZero();
                long pseudo = v6 ? pseudo6(f, f.length - tcp) : Ipv4.pseudoSum(Ipv4.i32(f, 26), Ipv4.i32(f, 30), 6, f.length - tcp);
                assertThat(Ipv4.checksum(f, tcp, f.length - tcp, pseudo)).as("TCP checksum").isZero();
                joined.write(f, tcp + 20, f.length - tcp - 20);
            }
            assertThat(joined.toByteArray()).isEqualTo(payload);
            assertThat(responder.answered()).as("the responder takes segments too and answers none of them").isZero();
        }
    }

    private static long pseudo6(byte[] f, int tcpLength) {
        long sum = 0;
        for (int i = 22; i < 54; i += 2) sum += Ipv4.u16(f, i);
        return sum + tcpLength + 6;
    }

    @Test
    void aPartialChecksumReachesAPortWithGuestCsumPartialAndOneWithoutComplete() {
        start(NetOptions.defaults(), Format.SPLIT, 0);
        byte[] whole = Udp.frame(GUEST_MAC, NOBODY, GUEST_IP, 4000, Ipv4.parse("10.0.2.77"), 9, pattern(101));
        byte[] partial = whole.clone();
        int udp = Ipv4.AT + 20;
        long pseudo = Ipv4.pseudoSum(GUEST_IP, Ipv4.parse("10.0.2.77"), Ipv4.PROTO_UDP, whole.length - udp);
        while (pseudo >>> 16 != 0) pseudo = (pseudo & 0xffff) + (pseudo >>> 16);
        Ipv4.put16(partial, udp + 6, (int) pseudo);
        try (Peer csum = Peer.of(sw, "csum", 0, 1, 1526);
             Peer plain = Peer.of(sw, "plain", VirtioFeatures.bit(VirtioNet.F_GUEST_CSUM), 1, 1526)) {
            h.post(VirtioNet.TX, Buffers.of(tx(new NetHeader(VirtioNet.FLAG_NEEDS_CSUM, 0, 0, 0, udp, 6, 0), partial)));
            h.awaitCompletions(1);
            byte[] a = csum.harness().awaitCompletions(1).get(0).writtenBytes();
            assertThat(NetHeader.decode(a).flags()).isEqualTo(VirtioNet.FLAG_NEEDS_CSUM);
            assertThat(NetHeader.decode(a).csumStart()).isEqualTo(udp);
            assertThat(frameOf(a)).as("left partial for the driver that took GUEST_CSUM").isEqualTo(partial);
            byte[] b = plain.harness().awaitCompletions(1).get(0).writtenBytes();
            assertThat(NetHeader.decode(b)).as("DEV-NET-037: flags 0 without GUEST_CSUM").isEqualTo(NetHeader.plain(1));
            assertThat(frameOf(b)).as("completed for the driver that did not").isEqualTo(whole);
        }
    }
}

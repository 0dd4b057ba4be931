package dev.pvkit.backends.net;

import dev.pvkit.backends.net.ControlQueue.Outcome;
import dev.pvkit.sdk.device.ReadableBuffers;
import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.device.WritableBuffers;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.testkit.Completion;
import dev.pvkit.sdk.testkit.DeviceHarness;
import dev.pvkit.sdk.testkit.DeviceHarness.Buffers;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Chain;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static dev.pvkit.backends.net.ControlCommand.*;
import static dev.pvkit.backends.net.ControlQueue.*;
import static dev.pvkit.backends.net.ReceiveFilterTest.*;
import static dev.pvkit.backends.net.VirtioNet.F_CTRL_MAC_ADDR;
import static dev.pvkit.backends.net.VirtioNet.F_CTRL_RX;
import static dev.pvkit.backends.net.VirtioNet.F_CTRL_RX_EXTRA;
import static dev.pvkit.backends.net.VirtioNet.F_CTRL_VLAN;
import static dev.pvkit.backends.net.VirtioNet.F_GUEST_ANNOUNCE;
import static dev.pvkit.backends.net.VirtioNet.F_HASH_TUNNEL;
import static dev.pvkit.backends.net.VirtioNet.F_NOTF_COAL;
import static dev.pvkit.backends.net.VirtioNet.F_RSS;
import static dev.pvkit.backends.net.VirtioNet.F_VQ_NOTF_COAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The control queue: each command's effect on the receive filter and the queue pairs, and each refusal with the
 * requirement it names; then whole chains through the SDK's driver model, and hostile bytes.
 */
class ControlQueueTest {
    static final int MAX_PAIRS = 4;
    static final long ALL = features(VirtioNet.F_CTRL_VQ, F_CTRL_RX, F_CTRL_RX_EXTRA, F_CTRL_VLAN, F_GUEST_ANNOUNCE,
            VirtioNet.F_MQ, F_CTRL_MAC_ADDR);

    private final ReceiveFilter filter = new ReceiveFilter(OWN);
    private final List<Integer> pairsSeen = new ArrayList<>();
    private final AtomicInteger announceAcks = new AtomicInteger();
    private boolean announcePending;
    private DeviceHarness h;

    @AfterEach
    void close() {
        if (h != null) h.close();
    }

    static long features(int... bits) {
        long f = 0;
        for (int b : bits) f |= VirtioFeatures.bit(b);
        return f;
    }

    private ControlQueue queue(long features) {
        return new ControlQueue(features, MAX_PAIRS, filter, pairsSeen::add, () -> {
            announceAcks.incrementAndGet();
            boolean was = announcePending;
            announcePending = false;
            return was;
        });
    }

    static byte[] cmd(int cls, int command, byte... data) {
        return ControlCommand.of(cls, command, data).encode();
    }

    static byte[] le16(int v) {
        return new byte[]{(byte) v, (byte) (v >>> 8)};
    }

    static byte[] le32(long v) {
        return new byte[]{(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    static byte[] mac(long m) {
        byte[] b = new byte[6];
        Ethernet.putMac(b, 0, m);
        return b;
    }

    /** MAC_TABLE_SET data: le32 count and addresses, twice. */
    static byte[] tables(long[] unicast, long[] multicast) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(le32(unicast.length));
        for (long m : unicast) o.writeBytes(mac(m));
        o.writeBytes(le32(multicast.length));
        for (long m : multicast) o.writeBytes(mac(m));
        return o.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }

    private static void assertOk(Outcome o) {
        assertThat(o.ack()).isEqualTo(OK);
        assertThat(o.ok()).isTrue();
        assertThat(o.findings()).isEmpty();
    }

    /** Every setting of the filter, to show a refused command changed none. */
    private String filterState() {
        StringBuilder b = new StringBuilder();
        b.append(filter.promiscuous()).append(filter.allMulticast()).append(filter.allUnicast())
                .append(filter.noMulticast()).append(filter.noUnicast()).append(filter.noBroadcast())
                .append(' ').append(filter.primaryMac()).append(Arrays.toString(filter.unicastTable()))
                .append(Arrays.toString(filter.multicastTable())).append(filter.vlanFiltering()).append(' ');
        for (int id = 0; id <= ReceiveFilter.MAX_VLAN_ID; id++) if (filter.hasVlan(id)) b.append(id).append(',');
        return b.toString();
    }

    // --- effects -------------------------------------------------------------------------------------------------

    static Stream<Arguments> rxCommands() {
        return Stream.of(
                arguments(RX_PROMISC, (java.util.function.Function<ReceiveFilter, Boolean>) ReceiveFilter::promiscuous),
                arguments(RX_ALLMULTI, (java.util.function.Function<ReceiveFilter, Boolean>) ReceiveFilter::allMulticast),
                arguments(RX_ALLUNI, (java.util.function.Function<ReceiveFilter, Boolean>) ReceiveFilter::allUnicast),
                arguments(RX_NOMULTI, (java.util.function.Function<ReceiveFilter, Boolean>) ReceiveFilter::noMulticast),
                arguments(RX_NOUNI, (java.util.function.Function<ReceiveFilter, Boolean>) ReceiveFilter::noUnicast),
                arguments(RX_NOBCAST, (java.util.function.Function<ReceiveFilter, Boolean>) ReceiveFilter::noBroadcast));
    }

    @ParameterizedTest
    @MethodSource("rxCommands")
    void eachRxCommandTurnsItsModeOnAndOff(int command, java.util.function.Function<ReceiveFilter, Boolean> mode) {
        ControlQueue q = queue(ALL); // DEV-NET-079, DEV-NET-082: all six served with CTRL_RX and CTRL_RX_EXTRA
        assertOk(q.handle(cmd(CLASS_RX, command, (byte) 1)));
        assertThat(mode.apply(filter)).isTrue();
        assertOk(q.handle(cmd(CLASS_RX, command, (byte) 0)));
        assertThat(mode.apply(filter)).isFalse();
    }

    @Test
    void promiscuousOffWithAnEmptyTableTakesOnlyTheOwnAddressAndBroadcast() {
        ControlQueue q = queue(ALL);
        assertOk(q.handle(cmd(CLASS_RX, RX_PROMISC, (byte) 0)));
        assertOk(q.handle(cmd(CLASS_MAC, MAC_TABLE_SET, tables(new long[0], new long[0]))));
        assertThat(filter.accepts(frame(OTHER))).isFalse();
        assertThat(filter.accepts(frame(Ethernet.BROADCAST))).isTrue();
        assertThat(filter.accepts(frame(OWN))).isTrue();
        assertThat(filter.accepts(frame(GROUP))).isFalse();
    }

    @Test
    void macTableSetLetsTheListedAddressesThroughAtOnce() {
        ControlQueue q = queue(ALL);
        q.handle(cmd(CLASS_RX, RX_PROMISC, (byte) 0));
        assertOk(q.handle(cmd(CLASS_MAC, MAC_TABLE_SET, tables(new long[]{LISTED, OTHER}, new long[]{GROUP}))));
        // DEV-NET-089: in force when handle returns, before the buffer could be used.
        assertThat(filter.accepts(frame(LISTED))).isTrue();
        assertThat(filter.accepts(frame(OTHER))).isTrue();
        assertThat(filter.accepts(frame(GROUP))).isTrue();
        assertThat(filter.accepts(frame(OTHER_GROUP))).isFalse();
        assertThat(filter.unicastTable()).containsExactly(OTHER, LISTED);

        assertOk(q.handle(cmd(CLASS_MAC, MAC_TABLE_SET, tables(new long[0], new long[]{OTHER_GROUP})))); // DRV-NET-083
        assertThat(filter.accepts(frame(LISTED))).isFalse();
        assertThat(filter.accepts(frame(GROUP))).isFalse();
        assertThat(filter.accepts(frame(OTHER_GROUP))).isTrue();
    }

    @Test
    void macAddrSetMovesThePrimaryAddress() {
        ControlQueue q = queue(ALL);
        q.handle(cmd(CLASS_RX, RX_PROMISC, (byte) 0));
        assertOk(q.handle(cmd(CLASS_MAC, MAC_ADDR_SET, mac(LISTED))));
        assertThat(filter.primaryMac()).as("what config mac must show, DEV-NET-090").isEqualTo(LISTED);
        assertThat(filter.accepts(frame(LISTED))).isTrue();
        assertThat(filter.accepts(frame(OWN))).isFalse();
    }

    @Test
    void vlanAddAndDelChangeWhichTagsPass() {
        ControlQueue q = queue(ALL);
        assertThat(filter.vlanFiltering()).as("CTRL_VLAN negotiated").isTrue();
        q.handle(cmd(CLASS_RX, RX_PROMISC, (byte) 0));
        assertOk(q.handle(cmd(CLASS_VLAN, VLAN_ADD, le16(5))));
        assertThat(filter.accepts(tagged(OWN, 5))).isTrue(); // DEV-NET-093
        assertThat(filter.accepts(tagged(OWN, 6))).isFalse(); // DEV-NET-094
        assertOk(q.handle(cmd(CLASS_VLAN, VLAN_ADD, le16(4095))));
        assertThat(filter.hasVlan(4095)).isTrue();
        assertOk(q.handle(cmd(CLASS_VLAN, VLAN_DEL, le16(5))));
        assertThat(filter.accepts(tagged(OWN, 5))).isFalse();
        assertOk(q.handle(cmd(CLASS_VLAN, VLAN_DEL, le16(5)))); // deleting what is absent is no error
    }

    @Test
    void withoutCtrlVlanTheQueueLeavesEveryTagThrough() {
        filter.vlanFiltering(true);
        queue(ALL & ~VirtioFeatures.bit(F_CTRL_VLAN));
        assertThat(filter.vlanFiltering()).isFalse();
        filter.promiscuous(false);
        assertThat(filter.accepts(tagged(OWN, 6))).as("DEV-NET-092").isTrue();
    }

    @Test
    void noBroadcastRefusesBroadcast() {
        ControlQueue q = queue(ALL);
        q.handle(cmd(CLASS_RX, RX_PROMISC, (byte) 0));
        assertOk(q.handle(cmd(CLASS_RX, RX_ALLMULTI, (byte) 1)));
        assertOk(q.handle(cmd(CLASS_RX, RX_NOBCAST, (byte) 1)));
        assertThat(filter.accepts(frame(Ethernet.BROADCAST))).isFalse(); // DEV-NET-087
        assertThat(filter.accepts(frame(GROUP))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, MAX_PAIRS})
    void aValidPairCountReachesTheCallback(int n) {
        ControlQueue q = queue(ALL);
        assertThat(q.pairs()).isEqualTo(1); // DEV-NET-099
        assertOk(q.handle(cmd(CLASS_MQ, MQ_VQ_PAIRS_SET, le16(n))));
        assertThat(pairsSeen).containsExactly(n);
        assertThat(q.pairs()).isEqualTo(n);
    }

    @Test
    void anInvalidPairCountNeverReachesTheCallback() {
        ControlQueue q = queue(ALL);
        q.handle(cmd(CLASS_MQ, MQ_VQ_PAIRS_SET, le16(3)));
        q.handle(cmd(CLASS_MQ, MQ_VQ_PAIRS_SET, le16(0)));
        q.handle(cmd(CLASS_MQ, MQ_VQ_PAIRS_SET, le16(MAX_PAIRS + 1)));
        q.handle(cmd(CLASS_MQ, MQ_VQ_PAIRS_SET, le16(0xffff)));
        q.handle(cmd(CLASS_MQ, MQ_VQ_PAIRS_SET, (byte) 2));
        assertThat(pairsSeen).containsExactly(3);
        assertThat(q.pairs()).isEqualTo(3);
    }

    @Test
    void announceAckClearsThePendingAnnounce() {
        ControlQueue q = queue(ALL);
        announcePending = true;
        assertOk(q.handle(cmd(CLASS_ANNOUNCE, ANNOUNCE_ACK)));
        assertThat(announcePending).as("DEV-NET-095").isFalse();
        assertThat(announceAcks).hasValue(1);

        Outcome again = q.handle(cmd(CLASS_ANNOUNCE, ANNOUNCE_ACK));
        assertThat(again.ack()).isEqualTo(OK);
        assertThat(again.findings()).singleElement().satisfies(f -> {
            assertThat(f.dropped()).isFalse();
            assertThat(f.message()).contains("no announce was pending");
        });
    }

    @Test
    void theConstructorRefusesAPairCountNoDeviceMayOffer() {
        assertThatThrownBy(() -> new ControlQueue(ALL, 0, filter, n -> { })).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ControlQueue(ALL, 0x8001, filter, n -> { })).isInstanceOf(IllegalArgumentException.class);
        assertThat(new ControlQueue(ALL, 0x8000, filter, n -> { }).pairs()).isEqualTo(1);
    }

    // --- refusals ------------------------------------------------------------------------------------------------

    private static long without(int... bits) {
        return ALL & ~features(bits);
    }

    static Stream<Arguments> refusals() {
        byte[] oneUni = tables(new long[]{LISTED}, new long[0]);
        return Stream.of(
                arguments("no CTRL_VQ", 0L, cmd(CLASS_RX, RX_PROMISC, (byte) 0), null),
                arguments("empty chain", ALL, new byte[0], null),
                arguments("class only", ALL, new byte[]{CLASS_RX}, null),
                // RX class
                arguments("PROMISC without CTRL_RX", without(F_CTRL_RX), cmd(CLASS_RX, RX_PROMISC, (byte) 0), "DRV-NET-078"),
                arguments("ALLMULTI without CTRL_RX", without(F_CTRL_RX), cmd(CLASS_RX, RX_ALLMULTI, (byte) 1), "DRV-NET-078"),
                arguments("ALLUNI without RX_EXTRA", without(F_CTRL_RX_EXTRA), cmd(CLASS_RX, RX_ALLUNI, (byte) 1), "DRV-NET-079"),
                arguments("NOMULTI without RX_EXTRA", without(F_CTRL_RX_EXTRA), cmd(CLASS_RX, RX_NOMULTI, (byte) 1), "DRV-NET-079"),
                arguments("NOUNI without RX_EXTRA", without(F_CTRL_RX_EXTRA), cmd(CLASS_RX, RX_NOUNI, (byte) 1), "DRV-NET-079"),
                arguments("NOBCAST without RX_EXTRA", without(F_CTRL_RX_EXTRA), cmd(CLASS_RX, RX_NOBCAST, (byte) 1), "DRV-NET-079"),
                arguments("RX without data", ALL, cmd(CLASS_RX, RX_PROMISC), null),
                arguments("RX with 2 bytes", ALL, cmd(CLASS_RX, RX_PROMISC, (byte) 0, (byte) 0), null),
                arguments("RX value 2", ALL, cmd(CLASS_RX, RX_ALLMULTI, (byte) 2), null),
                arguments("RX command 6", ALL, cmd(CLASS_RX, 6, (byte) 1), null),
                // MAC class
                arguments("TABLE_SET without CTRL_RX", without(F_CTRL_RX), cmd(CLASS_MAC, MAC_TABLE_SET, oneUni), "DRV-NET-080"),
                arguments("ADDR_SET without CTRL_RX", without(F_CTRL_RX), cmd(CLASS_MAC, MAC_ADDR_SET, mac(LISTED)), "DRV-NET-080"),
                arguments("ADDR_SET without CTRL_MAC_ADDR", without(F_CTRL_MAC_ADDR), cmd(CLASS_MAC, MAC_ADDR_SET, mac(LISTED)), null),
                arguments("ADDR_SET of 5 bytes", ALL, cmd(CLASS_MAC, MAC_ADDR_SET, Arrays.copyOf(mac(LISTED), 5)), null),
                arguments("ADDR_SET of 7 bytes", ALL, cmd(CLASS_MAC, MAC_ADDR_SET, Arrays.copyOf(mac(LISTED), 7)), null),
                arguments("ADDR_SET of a group address", ALL, cmd(CLASS_MAC, MAC_ADDR_SET, mac(GROUP)), null),
                arguments("TABLE_SET without data", ALL, cmd(CLASS_MAC, MAC_TABLE_SET), "DRV-NET-082"),
                arguments("TABLE_SET of 3 bytes", ALL, cmd(CLASS_MAC, MAC_TABLE_SET, new byte[3]), "DRV-NET-082"),
                arguments("TABLE_SET without the second count", ALL, cmd(CLASS_MAC, MAC_TABLE_SET, Arrays.copyOf(oneUni, 10)), "DRV-NET-082"),
                arguments("TABLE_SET with half a second count", ALL, cmd(CLASS_MAC, MAC_TABLE_SET, Arrays.copyOf(oneUni, 12)), "DRV-NET-082"),
                arguments("TABLE_SET unicast count beyond the bytes", ALL,
                        cmd(CLASS_MAC, MAC_TABLE_SET, concat(le32(2), mac(LISTED), le32(0))), "DRV-NET-082"),
                arguments("TABLE_SET count 2^32-1", ALL, cmd(CLASS_MAC, MAC_TABLE_SET, concat(le32(0xffff_ffffL), le32(0))), "DRV-NET-082"),
                arguments("TABLE_SET multicast count beyond the bytes", ALL,
                        cmd(CLASS_MAC, MAC_TABLE_SET, concat(le32(0), le32(1))), "DRV-NET-082"),
                arguments("TABLE_SET with trailing bytes", ALL, cmd(CLASS_MAC, MAC_TABLE_SET, concat(oneUni, new byte[1])), "DRV-NET-082"),
                arguments("TABLE_SET group address in the unicast table", ALL,
                        cmd(CLASS_MAC, MAC_TABLE_SET, tables(new long[]{GROUP}, new long[0])), "DRV-NET-082"),
                arguments("TABLE_SET unicast address in the multicast table", ALL,
                        cmd(CLASS_MAC, MAC_TABLE_SET, tables(new long[0], new long[]{LISTED})), "DRV-NET-082"),
                arguments("MAC command 2", ALL, cmd(CLASS_MAC, 2, mac(LISTED)), null),
                // VLAN class
                arguments("VLAN_ADD without CTRL_VLAN", without(F_CTRL_VLAN), cmd(CLASS_VLAN, VLAN_ADD, le16(5)), null),
                arguments("VLAN_DEL without CTRL_VLAN", without(F_CTRL_VLAN), cmd(CLASS_VLAN, VLAN_DEL, le16(5)), null),
                arguments("VLAN_ADD of 1 byte", ALL, cmd(CLASS_VLAN, VLAN_ADD, (byte) 5), null),
                arguments("VLAN_ADD of 3 bytes", ALL, cmd(CLASS_VLAN, VLAN_ADD, (byte) 5, (byte) 0, (byte) 0), null),
                arguments("VLAN_ADD of id 4096", ALL, cmd(CLASS_VLAN, VLAN_ADD, le16(4096)), null),
                arguments("VLAN command 2", ALL, cmd(CLASS_VLAN, 2, le16(5)), null),
                // ANNOUNCE class
                arguments("ANNOUNCE_ACK without GUEST_ANNOUNCE", without(F_GUEST_ANNOUNCE), cmd(CLASS_ANNOUNCE, ANNOUNCE_ACK), null),
                arguments("ANNOUNCE_ACK with data", ALL, cmd(CLASS_ANNOUNCE, ANNOUNCE_ACK, (byte) 0), null),
                arguments("ANNOUNCE command 1", ALL, cmd(CLASS_ANNOUNCE, 1), null),
                // MQ class
                arguments("VQ_PAIRS_SET without MQ", without(VirtioNet.F_MQ), cmd(CLASS_MQ, MQ_VQ_PAIRS_SET, le16(1)), null),
                arguments("VQ_PAIRS_SET of 0", ALL, cmd(CLASS_MQ, MQ_VQ_PAIRS_SET, le16(0)), "DRV-NET-087"),
                arguments("VQ_PAIRS_SET above max", ALL, cmd(CLASS_MQ, MQ_VQ_PAIRS_SET, le16(MAX_PAIRS + 1)), "DRV-NET-088"),
                arguments("VQ_PAIRS_SET of 0x8001", ALL, cmd(CLASS_MQ, MQ_VQ_PAIRS_SET, le16(0x8001)), "DRV-NET-088"),
                arguments("VQ_PAIRS_SET of 1 byte", ALL, cmd(CLASS_MQ, MQ_VQ_PAIRS_SET, (byte) 2), null),
                arguments("VQ_PAIRS_SET of 4 bytes", ALL, cmd(CLASS_MQ, MQ_VQ_PAIRS_SET, le32(2)), null),
                arguments("RSS_CONFIG without RSS", ALL, cmd(CLASS_MQ, MQ_RSS_CONFIG, new byte[16]), "DRV-NET-091"),
                arguments("RSS_CONFIG with RSS", ALL | features(F_RSS), cmd(CLASS_MQ, MQ_RSS_CONFIG, new byte[16]), null),
                arguments("HASH_CONFIG", ALL, cmd(CLASS_MQ, MQ_HASH_CONFIG, new byte[16]), null),
                arguments("MQ command 3", ALL, cmd(CLASS_MQ, 3, le16(1)), null),
                // classes this device never serves
                arguments("GUEST_OFFLOADS_SET", ALL, cmd(CLASS_GUEST_OFFLOADS, 0, new byte[8]), null),
                arguments("NOTF_COAL_TX_SET", ALL, cmd(CLASS_NOTF_COAL, 0, new byte[8]), "DRV-NET-101"),
                arguments("NOTF_COAL_RX_SET", ALL, cmd(CLASS_NOTF_COAL, 1, new byte[8]), "DRV-NET-101"),
                arguments("NOTF_COAL_VQ_SET", ALL, cmd(CLASS_NOTF_COAL, 2, new byte[12]), "DRV-NET-102"),
                arguments("NOTF_COAL_VQ_GET", ALL, cmd(CLASS_NOTF_COAL, 3, new byte[4]), "DRV-NET-102"),
                arguments("NOTF_COAL_TX_SET with NOTF_COAL", ALL | features(F_NOTF_COAL), cmd(CLASS_NOTF_COAL, 0, new byte[8]), null),
                arguments("HASH_TUNNEL_SET", ALL, cmd(CLASS_HASH_TUNNEL, 0, new byte[4]), "DRV-NET-075"),
                arguments("STATS_QUERY", ALL, cmd(CLASS_STATS, 0), null),
                arguments("RSS context command", ALL, cmd(CLASS_RSS_CTX, 1, new byte[4]), "DRV-NET-096"),
                arguments("class 10", ALL, cmd(10, 0), null),
                arguments("class 255", ALL, cmd(255, 255, new byte[4]), null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void aRefusedCommandAnswersErrNamesItsRequirementAndChangesNothing(String name, long features, byte[] readable, String requirement) {
        filter.promiscuous(false);
        filter.addVlan(9);
        ControlQueue q = queue(features);
        String before = filterState();

        Outcome o = q.handle(readable);

        assertThat(o.ack()).isEqualTo(ERR);
        assertThat(o.ok()).isFalse();
        assertThat(o.findings()).singleElement().satisfies(f -> {
            assertThat(f.requirement()).isEqualTo(requirement);
            assertThat(f.dropped()).isTrue();
            assertThat(f.message()).isNotBlank();
        });
        assertThat(filterState()).isEqualTo(before);
        assertThat(pairsSeen).isEmpty();
        assertThat(q.pairs()).isEqualTo(1);
        assertThat(announceAcks).hasValue(0);
    }

    // --- whole chains --------------------------------------------------------------------------------------------

    /** A device with only a control queue, serving it as VirtioNetDevice would. */
    private final class ControlOnlyDevice implements VirtioDevice {
        final List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        volatile ControlQueue queue;

        @Override
        public int deviceId() {
            return VirtioNet.DEVICE_ID;
        }

        @Override
        public long features() {
            return ALL | VirtioFeatures.bit(VirtioFeatures.VERSION_1);
        }

        @Override
        public int queueCount() {
            return 1;
        }

        @Override
        public int maxQueueSize() {
            return 16;
        }

        @Override
        public byte[] config() {
            return new byte[0];
        }

        @Override
        public void featuresNegotiated(long features) {
            queue = queue(features);
        }

        @Override
        public long process(int q, Chain chain, GuestMemory memory) {
            Outcome o = queue.serve(ReadableBuffers.of(memory, chain), WritableBuffers.of(memory, chain));
            outcomes.add(o);
            return o.written();
        }
    }

    private ControlOnlyDevice startDevice(int maxChainBytes) {
        ControlOnlyDevice d = new ControlOnlyDevice();
        h = DeviceHarness.of(d).queueSize(16).maxChainBytes(maxChainBytes).requestDrain(Duration.ZERO).start();
        return d;
    }

    private Completion exchange(Buffers b) {
        h.post(0, b);
        return h.awaitCompletions(1).get(0);
    }

    @Test
    void aChainSplitAcrossDescriptorsIsServedAndAcked() {
        ControlOnlyDevice d = startDevice(64 * 1024);
        byte[] table = tables(new long[]{LISTED}, new long[]{GROUP});
        Completion c = exchange(Buffers.of(new byte[]{CLASS_MAC}, new byte[]{MAC_TABLE_SET}, Arrays.copyOf(table, 7),
                Arrays.copyOfRange(table, 7, table.length)).writable(1));
        assertThat(c.written()).isEqualTo(1);
        assertThat(c.writable()).containsExactly(OK);
        assertThat(filter.unicastTable()).containsExactly(LISTED);
        assertThat(filter.multicastTable()).containsExactly(GROUP);
        assertThat(d.outcomes).singleElement().satisfies(o -> assertThat(o.findings()).isEmpty());
    }

    @Test
    void aRefusedChainGetsErrInItsAckByte() {
        startDevice(64 * 1024);
        Completion c = exchange(Buffers.of(cmd(CLASS_MQ, MQ_VQ_PAIRS_SET, le16(0))).writable(1));
        assertThat(c.written()).isEqualTo(1);
        assertThat(c.writable()).containsExactly(ERR);
    }

    @Test
    void aChainWithoutAWritableByteIsNotApplied() {
        ControlOnlyDevice d = startDevice(64 * 1024);
        Completion c = exchange(Buffers.of(cmd(CLASS_RX, RX_PROMISC, (byte) 0)));
        assertThat(c.written()).isZero();
        assertThat(filter.promiscuous()).as("not applied").isTrue();
        assertThat(d.outcomes).singleElement().satisfies(o -> {
            assertThat(o.ack()).isEqualTo(NO_ACK);
            assertThat(o.written()).isZero();
            assertThat(o.findings()).singleElement().satisfies(f -> assertThat(f.dropped()).isTrue());
        });
    }

    @Test
    void extraWritableBytesAreLeftAloneAndNoted() {
        ControlOnlyDevice d = startDevice(64 * 1024);
        Completion c = exchange(Buffers.of(cmd(CLASS_RX, RX_PROMISC, (byte) 0)).writable(1, 2));
        assertThat(c.written()).isEqualTo(1);
        assertThat(c.writable()).containsExactly(OK, DeviceHarness.UNWRITTEN, DeviceHarness.UNWRITTEN);
        assertThat(filter.promiscuous()).isFalse();
        assertThat(d.outcomes).singleElement().satisfies(o -> {
            assertThat(o.ok()).isTrue();
            assertThat(o.findings()).singleElement().satisfies(f -> assertThat(f.dropped()).isFalse());
        });
    }

    @Test
    void aChainLongerThanAnyCommandIsRefusedUnread() {
        ControlOnlyDevice d = startDevice(128 * 1024);
        byte[] big = new byte[ControlQueue.MAX_COMMAND_BYTES + 1];
        big[0] = CLASS_RX;
        Completion c = exchange(Buffers.of(big).writable(1));
        assertThat(c.writable()).containsExactly(ERR);
        assertThat(d.outcomes).singleElement().satisfies(o -> assertThat(o.findings()).singleElement()
                .satisfies(f -> assertThat(f.message()).contains("exceeds")));
    }

    // --- hostile bytes -------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(longs = {0, 1L << VirtioNet.F_CTRL_VQ, -1})
    void noBytesMakeItThrow(long featureSet) {
        long features = featureSet == -1 ? ALL : featureSet;
        ControlQueue q = queue(features);
        Random r = new Random(0xc0ffee ^ features);
        int ok = 0;
        for (int i = 0; i < 10_000; i++) {
            byte[] b = new byte[r.nextInt(i % 100 == 0 ? 2000 : 12)];
            r.nextBytes(b);
            // Mostly classes, commands and first data bytes that exist, so the checks behind them are reached.
            if (b.length > 0 && r.nextInt(4) != 0) b[0] = (byte) r.nextInt(11);
            if (b.length > 1 && r.nextInt(4) != 0) b[1] = (byte) r.nextInt(7);
            if (b.length > 2 && r.nextBoolean()) b[2] = (byte) r.nextInt(6);
            if (b.length > 3 && r.nextBoolean()) b[3] = 0;
            Outcome o = q.handle(b);
            assertThat(o.ack()).isIn(OK, ERR);
            assertThat(o.findings().stream().anyMatch(NetFinding::dropped)).as("ERR exactly when refused").isEqualTo(o.ack() == ERR);
            if (o.ok()) ok++;
            assertThat(q.pairs()).isBetween(1, MAX_PAIRS);
        }
        if (features == ALL) assertThat(ok).as("random bytes sometimes make a valid command").isPositive();
        else assertThat(ok).isZero();
        assertThat(pairsSeen).allSatisfy(n -> assertThat(n).isBetween(1, MAX_PAIRS));
    }

    @Test
    void noChainMakesServeThrow() {
        startDevice(64 * 1024);
        Random r = new Random(42);
        for (int i = 0; i < 200; i++) {
            byte[] b = new byte[1 + r.nextInt(30)];
            r.nextBytes(b);
            Buffers buffers = Buffers.of(b);
            if (r.nextInt(5) != 0) buffers = buffers.writable(1 + r.nextInt(3));
            Completion c = exchange(buffers);
            assertThat(c.written()).isBetween(0L, 1L);
        }
        assertThat(h.problems()).isEmpty();
    }

    // --- decoding ------------------------------------------------------------------------------------------------

    @Test
    void decodingSplitsClassCommandAndData() {
        ControlCommand.Decoded d = ControlCommand.decode(new byte[]{4, 0, 2, 0});
        assertThat(d.finding()).isNull();
        assertThat(d.command()).isEqualTo(ControlCommand.of(CLASS_MQ, MQ_VQ_PAIRS_SET, (byte) 2, (byte) 0));
        assertThat(d.command().data()).containsExactly(2, 0);
        assertThat(d.command().encode()).containsExactly(4, 0, 2, 0);

        ControlCommand.Decoded high = ControlCommand.decode(new byte[]{(byte) 0xff, (byte) 0x80});
        assertThat(high.command().commandClass()).isEqualTo(255);
        assertThat(high.command().command()).isEqualTo(128);
        assertThat(high.command().dataLength()).isZero();
    }

    @Test
    void decodingAChainTooShortGivesAFindingNotACommand() {
        for (byte[] b : List.of(new byte[0], new byte[]{0})) {
            ControlCommand.Decoded d = ControlCommand.decode(b);
            assertThat(d.command()).isNull();
            assertThat(d.finding().dropped()).isTrue();
            assertThat(d.finding().message()).contains(b.length + " readable bytes");
        }
        assertThat(ControlCommand.decode(null).command()).isNull();
    }

    @Test
    void aCommandKeepsItsOwnCopyOfTheData() {
        byte[] data = {1, 2};
        ControlCommand c = ControlCommand.of(CLASS_RX, RX_PROMISC, data);
        data[0] = 9;
        c.data()[1] = 9;
        assertThat(c.data()).containsExactly(1, 2);
        assertThat(c).hasSameHashCodeAs(ControlCommand.of(CLASS_RX, RX_PROMISC, (byte) 1, (byte) 2));
        assertThat(c).isNotEqualTo(ControlCommand.of(CLASS_RX, RX_PROMISC, (byte) 1));
        assertThatThrownBy(() -> ControlCommand.of(256, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ControlCommand.of(0, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}

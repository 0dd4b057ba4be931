package dev.pvkit.backends.net;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a port hands its driver under each receive mode, MAC table and VLAN table, each rule with its requirement. */
class ReceiveFilterTest {
    static final long OWN = 0x5254_0000_0001L;
    static final long OTHER = 0x5254_0000_0002L;
    static final long LISTED = 0x5254_0000_0003L;
    static final long GROUP = 0x0100_5e00_0001L;
    static final long OTHER_GROUP = 0x3333_0000_0001L;

    private final ReceiveFilter f = new ReceiveFilter(OWN);

    /** A 60-byte untagged frame to {@code dst}. */
    static byte[] frame(long dst) {
        byte[] b = new byte[60];
        Ethernet.putMac(b, 0, dst);
        Ethernet.putMac(b, 6, OTHER);
        b[12] = 0x08;
        return b;
    }

    /** A 64-byte 802.1Q frame to {@code dst} with tag control {@code tci} (priority bits and VLAN id). */
    static byte[] tagged(long dst, int tci) {
        byte[] b = new byte[64];
        Ethernet.putMac(b, 0, dst);
        Ethernet.putMac(b, 6, OTHER);
        b[12] = (byte) 0x81;
        b[13] = 0x00;
        b[14] = (byte) (tci >>> 8);
        b[15] = (byte) tci;
        b[16] = 0x08;
        return b;
    }

    /** Promiscuous mode off, the rest as after reset: the state a driver with CTRL_RX sets at once. */
    private void strict() {
        f.promiscuous(false);
    }

    @Test
    void afterConstructionEverythingPassesAsPromiscuousModeIsOn() {
        assertThat(f.promiscuous()).isTrue();
        assertThat(f.allMulticast() || f.allUnicast() || f.noMulticast() || f.noUnicast() || f.noBroadcast()).isFalse();
        assertThat(f.primaryMac()).isEqualTo(OWN);
        assertThat(f.unicastTable()).isEmpty(); // DEV-NET-088
        assertThat(f.multicastTable()).isEmpty();
        assertThat(f.vlanFiltering()).isFalse();
        assertThat(f.accepts(frame(OTHER))).isTrue();
        assertThat(f.accepts(frame(GROUP))).isTrue();
        assertThat(f.accepts(new byte[3])).as("even a runt").isTrue();
    }

    @Test
    void withoutPromiscuousModeOnlyTheOwnAddressAndBroadcastPass() {
        strict();
        assertThat(f.accepts(frame(OWN))).isTrue();
        assertThat(f.accepts(frame(Ethernet.BROADCAST))).isTrue();
        assertThat(f.accepts(frame(OTHER))).as("DEV-NET-091").isFalse();
        assertThat(f.accepts(frame(GROUP))).as("multicast not in the table").isFalse();
    }

    @Test
    void theMacTablesLetTheirAddressesThrough() {
        strict();
        f.macTables(List.of(LISTED), List.of(GROUP));
        assertThat(f.unicastTable()).containsExactly(LISTED);
        assertThat(f.multicastTable()).containsExactly(GROUP);
        assertThat(f.accepts(frame(LISTED))).isTrue();
        assertThat(f.accepts(frame(GROUP))).isTrue();
        assertThat(f.accepts(frame(OWN))).as("the primary address stays").isTrue();
        assertThat(f.accepts(frame(OTHER))).isFalse();
        assertThat(f.accepts(frame(OTHER_GROUP))).isFalse();

        f.macTables(List.of(), List.of());
        assertThat(f.accepts(frame(LISTED))).as("a new table replaces the old").isFalse();
        assertThat(f.accepts(frame(GROUP))).isFalse();
    }

    @Test
    void allMulticastTakesEveryGroupAddress() {
        strict();
        f.allMulticast(true);
        assertThat(f.accepts(frame(GROUP))).as("DEV-NET-081").isTrue();
        assertThat(f.accepts(frame(OTHER_GROUP))).isTrue();
        assertThat(f.accepts(frame(OTHER))).as("not unicast").isFalse();
    }

    @Test
    void noMulticastRefusesGroupAddressesEvenWithAllMulticastButNotBroadcast() {
        strict();
        f.allMulticast(true);
        f.macTables(List.of(), List.of(GROUP));
        f.noMulticast(true);
        assertThat(f.accepts(frame(GROUP))).as("DEV-NET-084").isFalse();
        assertThat(f.accepts(frame(OTHER_GROUP))).isFalse();
        assertThat(f.accepts(frame(Ethernet.BROADCAST))).as("DEV-NET-085").isTrue();
        assertThat(f.accepts(frame(OWN))).isTrue();
    }

    @Test
    void allUnicastTakesEveryUnicastAddress() {
        strict();
        f.allUnicast(true);
        assertThat(f.accepts(frame(OTHER))).as("DEV-NET-083").isTrue();
        assertThat(f.accepts(frame(GROUP))).as("not multicast").isFalse();
    }

    @Test
    void noUnicastRefusesUnicastEvenWithAllUnicastAndTheOwnAddress() {
        strict();
        f.allUnicast(true);
        f.macTables(List.of(LISTED), List.of());
        f.noUnicast(true);
        assertThat(f.accepts(frame(OTHER))).as("DEV-NET-086").isFalse();
        assertThat(f.accepts(frame(LISTED))).isFalse();
        assertThat(f.accepts(frame(OWN))).isFalse();
        assertThat(f.accepts(frame(Ethernet.BROADCAST))).isTrue();
    }

    @Test
    void noBroadcastRefusesBroadcastEvenWithAllMulticast() {
        strict();
        f.allMulticast(true);
        f.noBroadcast(true);
        assertThat(f.accepts(frame(Ethernet.BROADCAST))).as("DEV-NET-087").isFalse();
        assertThat(f.accepts(frame(GROUP))).isTrue();
        assertThat(f.accepts(frame(OWN))).isTrue();
    }

    @Test
    void promiscuousModeOutranksEveryOtherMode() {
        f.noUnicast(true);
        f.noMulticast(true);
        f.noBroadcast(true);
        f.vlanFiltering(true);
        assertThat(f.accepts(frame(OTHER))).as("DEV-NET-080").isTrue();
        assertThat(f.accepts(frame(GROUP))).isTrue();
        assertThat(f.accepts(frame(Ethernet.BROADCAST))).isTrue();
        assertThat(f.accepts(tagged(OWN, 9))).isTrue();
        f.promiscuous(false);
        assertThat(f.accepts(frame(OTHER))).isFalse();
        assertThat(f.accepts(frame(Ethernet.BROADCAST))).isFalse();
    }

    @Test
    void changingThePrimaryAddressMovesWhatPasses() {
        strict();
        f.primaryMac(OTHER);
        assertThat(f.primaryMac()).isEqualTo(OTHER);
        assertThat(f.accepts(frame(OTHER))).isTrue();
        assertThat(f.accepts(frame(OWN))).isFalse();
        f.primaryMac(ReceiveFilter.NO_MAC);
        assertThat(f.accepts(frame(OTHER))).isFalse();
    }

    @Test
    void withoutVlanFilteringEveryTagPasses() {
        strict();
        assertThat(f.accepts(tagged(OWN, 5))).as("DEV-NET-092").isTrue();
        assertThat(f.accepts(tagged(OWN, 4095))).isTrue();
        assertThat(f.accepts(tagged(OTHER, 5))).as("the MAC filter still applies").isFalse();
    }

    @Test
    void withVlanFilteringOnlyTagsInTheTablePass() {
        strict();
        f.vlanFiltering(true);
        assertThat(f.accepts(tagged(OWN, 5))).as("empty table").isFalse();
        f.addVlan(5);
        assertThat(f.hasVlan(5)).isTrue();
        assertThat(f.accepts(tagged(OWN, 5))).as("DEV-NET-093").isTrue();
        assertThat(f.accepts(tagged(OWN, 0xe005))).as("priority bits are not the id").isTrue();
        assertThat(f.accepts(tagged(OWN, 6))).as("DEV-NET-094").isFalse();
        assertThat(f.accepts(tagged(OWN, 5 + 64))).as("same bit in the next word").isFalse();
        assertThat(f.accepts(tagged(OTHER, 5))).as("the MAC filter still applies").isFalse();
        assertThat(f.accepts(frame(OWN))).as("untagged frames are not VLAN filtered").isTrue();
        assertThat(f.accepts(java.util.Arrays.copyOf(tagged(OWN, 5), 15))).as("tag cut short").isFalse();

        f.removeVlan(5);
        assertThat(f.hasVlan(5)).isFalse();
        assertThat(f.accepts(tagged(OWN, 5))).isFalse();
    }

    @Test
    void resetRestoresTheInitialState() {
        f.promiscuous(false);
        f.allMulticast(true);
        f.allUnicast(true);
        f.noMulticast(true);
        f.noUnicast(true);
        f.noBroadcast(true);
        f.primaryMac(OTHER);
        f.macTables(List.of(LISTED), List.of(GROUP));
        f.vlanFiltering(true);
        f.addVlan(7);

        f.reset();

        assertThat(f.promiscuous()).isTrue();
        assertThat(f.allMulticast() || f.allUnicast() || f.noMulticast() || f.noUnicast() || f.noBroadcast()).isFalse();
        assertThat(f.primaryMac()).isEqualTo(OWN);
        assertThat(f.unicastTable()).isEmpty();
        assertThat(f.multicastTable()).isEmpty();
        assertThat(f.vlanFiltering()).isFalse();
        assertThat(f.hasVlan(7)).isFalse();
    }

    @Test
    void settersRefuseValuesNoTableCanHold() {
        assertThatThrownBy(() -> f.addVlan(4096)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.removeVlan(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.primaryMac(1L << 48)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> f.macTables(List.of(1L << 48), List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReceiveFilter(-2)).isInstanceOf(IllegalArgumentException.class);
        assertThat(f.hasVlan(4096)).isFalse();
    }

    @Test
    void tablesAreCopiesAndFreeOfDuplicates() {
        f.macTables(List.of(LISTED, OWN, LISTED), List.of());
        long[] t = f.unicastTable();
        assertThat(t).containsExactly(OWN, LISTED);
        t[0] = OTHER;
        assertThat(f.unicastTable()).containsExactly(OWN, LISTED);
    }

    @Test
    void noFrameMakesItThrow() {
        Random r = new Random(0x5eed);
        f.vlanFiltering(true);
        f.addVlan(1);
        for (int i = 0; i < 10_000; i++) {
            switch (i % 4) {
                case 0 -> f.promiscuous(false);
                case 1 -> f.noMulticast(r.nextBoolean());
                case 2 -> f.allUnicast(r.nextBoolean());
                default -> f.macTables(List.of(r.nextLong() & 0xfeff_ffff_ffffL), List.of());
            }
            byte[] b = new byte[r.nextInt(40)];
            r.nextBytes(b);
            if (b.length > 13 && r.nextBoolean()) {
                b[12] = (byte) 0x81;
                b[13] = 0;
            }
            assertThatCode(() -> f.accepts(b)).doesNotThrowAnyException();
        }
        assertThat(f.accepts(null)).isFalse();
    }

    @Test
    void concurrentChangesAreNotLost() throws InterruptedException {
        // Two writers on disjoint VLAN ids, many times over: a change built on a stale snapshot would drop the other's.
        for (int round = 0; round < 50; round++) {
            ReceiveFilter shared = new ReceiveFilter(OWN);
            CountDownLatch go = new CountDownLatch(1);
            Thread low = new Thread(() -> addRange(shared, go, 0, 2048));
            Thread high = new Thread(() -> addRange(shared, go, 2048, 4096));
            low.start();
            high.start();
            go.countDown();
            low.join();
            high.join();
            for (int id = 0; id <= ReceiveFilter.MAX_VLAN_ID; id++) {
                if (!shared.hasVlan(id)) assertThat(shared.hasVlan(id)).as("round %d, VLAN %d", round, id).isTrue();
            }
        }
    }

    private static void addRange(ReceiveFilter shared, CountDownLatch go, int from, int to) {
        try {
            go.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        for (int id = from; id < to; id++) shared.addVlan(id);
    }
}

package dev.pvkit.backends.net;

import dev.pvkit.sdk.testkit.Completion;
import dev.pvkit.sdk.testkit.DeviceHarness;
import dev.pvkit.sdk.testkit.DeviceHarness.Buffers;
import dev.pvkit.sdk.testkit.DeviceHarness.Format;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The virtio-net device against a hostile driver: any header (random, or plausible with one field wrong), split
 * across any number of descriptors, any frame length, receive buffers of any shape (some too small for a header),
 * frames arriving from the switch at any time, on split and packed rings with any subset of the offered features.
 * Whatever comes, the device never throws, returns every transmit chain with nothing written, counts every packet
 * as forwarded or dropped, and fills receive buffers only with packets whose header says what the device is
 * allowed to say (no flags, no segmentation, num_buffers of 1, or the buffers used with MRG_RXBUF).
 *
 * <p>Tries come from {@code jqwik.tries.default} (10,000 in CI, see junit-platform.properties).
 */
class NetHostileProperties {
    private static final AtomicLong TRIES = new AtomicLong();
    private static final AtomicLong TX = new AtomicLong();
    private static final AtomicLong DROPPED = new AtomicLong();
    private static final AtomicLong RX_BUFFERS = new AtomicLong();

    @Property
    void theDeviceSurvivesAnyDriverAndSaysOnlyWhatItMay(@ForAll long seed) {
        Random random = new Random(seed);
        TRIES.incrementAndGet();
        EthernetSwitch sw = new EthernetSwitch();
        new Responder(sw, Frames.RESPONDER_MAC, Frames.RESPONDER_IP, 24);
        VirtioNetDevice device = new VirtioNetDevice("hostile", sw, NetOptions.defaults().withMtu(68 + random.nextInt(1500)));
        long wanted = device.features();
        for (int bit : new int[]{VirtioNet.F_MRG_RXBUF, VirtioNet.F_CSUM, VirtioNet.F_MTU, VirtioFeatures.EVENT_IDX, VirtioFeatures.INDIRECT_DESC}) {
            if (random.nextBoolean()) wanted &= ~VirtioFeatures.bit(bit);
        }
        Format format = random.nextBoolean() ? Format.SPLIT : Format.PACKED;
        int txChains = 0;
        List<Integer> rxSizes = new ArrayList<>();
        try (DeviceHarness h = DeviceHarness.of(device).ring(format).queueSize(32).features(wanted)
                .requestDrain(Duration.ZERO).start()) {
            boolean mergeable = VirtioFeatures.has(h.features(), VirtioNet.F_MRG_RXBUF);
            int rx = random.nextInt(9);
            for (int i = 0; i < rx; i++) {
                List<Integer> w = new ArrayList<>();
                int parts = 1 + random.nextInt(3);
                for (int p = 0; p < parts; p++) w.add(1 + random.nextInt(random.nextBoolean() ? 40 : 2000));
                boolean readablePart = random.nextInt(10) == 0;
                h.post(VirtioNet.RX, new Buffers(readablePart ? List.of(new byte[]{1}) : List.of(), w, false));
                rxSizes.add(w.stream().mapToInt(Integer::intValue).sum());
            }
            int tx = 1 + random.nextInt(6);
            for (int i = 0; i < tx; i++) {
                byte[] packet = packet(random);
                List<byte[]> pieces = split(packet, random);
                List<Integer> writable = random.nextInt(10) == 0 ? List.of(1 + random.nextInt(64)) : List.of();
                h.post(VirtioNet.TX, new Buffers(pieces, writable, false));
                txChains++;
            }
            // Control commands of any bytes, with room for no ack, the ack, or more.
            int ctrl = random.nextInt(3);
            for (int i = 0; i < ctrl; i++) {
                byte[] command = new byte[1 + random.nextInt(24)]; // a chain needs a buffer: a readable one, here
                random.nextBytes(command);
                if (random.nextBoolean()) command[0] = (byte) random.nextInt(10); // a real class
                int room = random.nextInt(3);
                h.post(device.controlQueue(), new Buffers(List.of(command),
                        room == 0 ? List.of() : List.of(room), false));
            }
            for (int i = random.nextInt(4); i > 0; i--) device.deliver(frame(random));
            List<Completion> done = new ArrayList<>(h.awaitCompletions(txChains + ctrl, Duration.ofSeconds(10)));
            done.addAll(h.run());
            int txSeen = 0;
            for (Completion c : done) {
                if (c.queue() == device.controlQueue()) {
                    assertThat(c.written()).as("a control chain gets at most its 1-byte ack").isBetween(0L, 1L);
                    if (c.written() == 1) assertThat(c.writtenBytes()[0]).as("VIRTIO_NET_OK or ERR").isIn((byte) 0, (byte) 1);
                } else if (c.queue() == VirtioNet.TX) {
                    txSeen++;
                    assertThat(c.written()).as("a transmit chain is returned with nothing written").isZero();
                } else if (c.written() > 0) {
                    RX_BUFFERS.incrementAndGet();
                    checkReceived(c, mergeable);
                }
            }
            assertThat(txSeen).isEqualTo(txChains);
            assertThat(device.counters().txFrames() + device.counters().txDropped()).as("every packet forwarded or dropped").isEqualTo(txChains);
            assertThat(h.problems()).as("what the harness logged about the device").isEmpty();
            TX.addAndGet(txChains);
            DROPPED.addAndGet(device.counters().txDropped());
        } finally {
            device.close();
        }
    }

    /** A received buffer that starts a packet carries a header the device may send; a continuation is only bytes. */
    private static void checkReceived(Completion c, boolean mergeable) {
        if (c.written() < VirtioNet.HEADER_BYTES) {
            assertThat(mergeable).as("a buffer shorter than a header only continues a mergeable packet").isTrue();
            return;
        }
        NetHeader header = NetHeader.decode(c.writtenBytes());
        if (!mergeable) {
            assertThat(header).as("without MRG_RXBUF: DEV-NET-033, DEV-NET-037, DEV-NET-057").isEqualTo(NetHeader.plain(1));
        }
        // With MRG_RXBUF a continuation buffer holds frame bytes, so its first 12 bytes are not a header.
    }

    /** A header (random bytes, or plausible with fields drawn wrong now and then) and a frame of any length. */
    private static byte[] packet(Random r) {
        int frame = switch (r.nextInt(4)) {
            case 0 -> r.nextInt(14);
            case 1 -> 14 + r.nextInt(1600);
            case 2 -> 1500 + r.nextInt(200);
            default -> 9000 + r.nextInt(400);
        };
        byte[] header = new byte[r.nextInt(8) == 0 ? r.nextInt(12) : VirtioNet.HEADER_BYTES];
        if (r.nextBoolean()) {
            r.nextBytes(header);
        } else if (header.length == VirtioNet.HEADER_BYTES) {
            int flags = r.nextInt(4) == 0 ? r.nextInt(256) : r.nextBoolean() ? VirtioNet.FLAG_NEEDS_CSUM : 0;
            int gso = r.nextInt(4) == 0 ? r.nextInt(256) : 0;
            header = new NetHeader(flags, gso, r.nextInt(200), r.nextInt(3000), r.nextInt(frame + 20), r.nextInt(40),
                    r.nextInt(8) == 0 ? r.nextInt(65536) : 0).encode();
        }
        byte[] p = new byte[header.length + frame];
        System.arraycopy(header, 0, p, 0, header.length);
        if (frame >= 14) {
            byte[] f = r.nextBoolean() ? Frames.arpRequest(Frames.GUEST_MAC, Frames.GUEST_IP, Frames.RESPONDER_IP) : new byte[0];
            System.arraycopy(f, 0, p, header.length, Math.min(f.length, frame));
        }
        return p.length == 0 ? new byte[]{0} : p;
    }

    /** {@code packet} cut at random places into 1 to 5 descriptors (the header may straddle any of them). */
    private static List<byte[]> split(byte[] packet, Random r) {
        List<byte[]> out = new ArrayList<>();
        int at = 0;
        int pieces = 1 + r.nextInt(5);
        for (int i = 1; i < pieces && at < packet.length - 1; i++) {
            int cut = at + 1 + r.nextInt(Math.min(packet.length - at - 1, 16));
            out.add(java.util.Arrays.copyOfRange(packet, at, cut));
            at = cut;
        }
        out.add(java.util.Arrays.copyOfRange(packet, at, packet.length));
        return out;
    }

    /** A frame from the switch's side: any length up to the largest, ARP-shaped or random. */
    private static byte[] frame(Random r) {
        byte[] f = new byte[r.nextInt(VirtioNet.MAX_FRAME + 1)];
        r.nextBytes(f);
        return f;
    }

    @AfterContainer
    static void tally() {
        System.out.printf("net hostile driver: %d tries, %d packets transmitted (%d dropped), %d receive buffers filled%n",
                TRIES.get(), TX.get(), DROPPED.get(), RX_BUFFERS.get());
    }
}

package dev.pvkit.conformance.firmware;

import dev.pvkit.backends.net.EthernetSwitch;
import dev.pvkit.backends.net.Ipv4;
import dev.pvkit.backends.net.NetOptions;
import dev.pvkit.backends.net.Responder;
import dev.pvkit.backends.net.VirtioNetDevice;
import dev.pvkit.conformance.guest.Accelerator;
import dev.pvkit.conformance.guest.Firmware;
import dev.pvkit.conformance.guest.QemuInstance;
import dev.pvkit.conformance.guest.QemuLauncher;
import dev.pvkit.conformance.guest.QemuOptions;
import dev.pvkit.conformance.guest.VhostUserDevice;
import dev.pvkit.conformance.live.LiveSupport;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A firmware network driver nobody here wrote: iPXE's virtio-net driver (QEMU's boot ROM for a modern virtio-net
 * device, Debian package ipxe-qemu) runs under SeaBIOS on PVKit's back-end and configures itself over DHCP from the
 * responder: DISCOVER, OFFER, REQUEST, ACK through the switch.
 */
class IpxeDhcpLiveTest {
    private static final Path ROM = Path.of("/usr/lib/ipxe/qemu/pxe-virtio.rom");

    @TempDir
    Path tmp;
    private QemuInstance qemu;
    private VhostUserBackend backend;
    private VirtioNetDevice device;

    @AfterEach
    void cleanUp() throws Exception {
        LiveSupport.killAndCheckGone(qemu, tmp, backend, device);
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void ipxeLeasesAnAddressFromTheResponder() throws Exception {
        assertThat(ROM).as("iPXE's virtio-net ROM (package ipxe-qemu)").exists();
        EthernetSwitch sw = new EthernetSwitch();
        Responder responder = new Responder(sw, 0x0200_0000_00feL, Ipv4.parse("10.0.2.2"), 24);
        device = new VirtioNetDevice("ipxe", sw, NetOptions.defaults());
        Path socket = tmp.resolve("net.sock");
        backend = VhostUserBackend.serve(device, socket, VhostUserBackend.Options.defaults().withWorkers(1));
        long t0 = System.nanoTime();
        // The ROM's PCI id is the modern device's (1af4:1041): SeaBIOS runs it only for a modern-only device.
        qemu = QemuLauncher.launch(QemuOptions.firmwareBoot().accelerator(Accelerator.TCG).memoryMiB(128).cpus(1)
                .template(Firmware.SEABIOS.template()).runDirectory(tmp.resolve("run")).timeLimit(Duration.ofSeconds(150))
                .device(VhostUserDevice.net(socket, 1).withProperties(List.of("mac=52:54:00:00:00:42", "disable-legacy=on",
                        "romfile=" + ROM, "bootindex=1"))));
        try {
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                    .until(() -> responder.dhcpAcknowledged() > 0 || !qemu.isAlive());
            assertThat(responder.dhcpAcknowledged()).as("DHCP REQUESTs acknowledged").isPositive();
            long f = device.negotiatedFeatures();
            assertThat(VirtioFeatures.has(f, VirtioFeatures.VERSION_1)).as("VERSION_1 negotiated").isTrue();
            assertThat(device.counters().findings()).as("transmit header findings").isEmpty();
            assertThat(device.counters().rxFrames()).as("OFFER and ACK delivered").isGreaterThanOrEqualTo(2);
            assertThat(sw.portOf(0x5254_0000_0042L)).isSameAs(device);
            System.out.printf("[ipxe] DHCP lease acknowledged after %.1f s; features 0x%x; %d frames out, %d in%n",
                    (System.nanoTime() - t0) / 1e9, f, device.counters().txFrames(), device.counters().rxFrames());
        } catch (AssertionError | RuntimeException e) {
            String console = Files.exists(qemu.consoleLog()) ? Files.readString(qemu.consoleLog()) : "";
            throw new AssertionError(e.getMessage() + "\nconsole:\n" + console + "\n" + qemu.evidence(), e);
        }
    }
}

package dev.pvkit.backends.bench;

import dev.pvkit.backends.net.EthernetSwitch;
import dev.pvkit.backends.net.MacSwapReflector;
import dev.pvkit.backends.net.NetOptions;
import dev.pvkit.backends.net.VirtioNetDevice;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The net benchmark's two back-ends both reflect frames to the Java front-end (a short run: that it works, not how
 * fast; the numbers come from {@code pvkit bench net --compare}).
 */
class NetBenchTest {
    @TempDir
    Path tmp;

    @Test
    void pvkitsSwitchReflectsFramesToTheFrontEnd() {
        EthernetSwitch sw = new EthernetSwitch();
        new MacSwapReflector(sw, NetBench.REFLECTOR_MAC);
        try (VirtioNetDevice device = new VirtioNetDevice("bench", sw, NetOptions.defaults().withPacked(false));
             VhostUserBackend b = VhostUserBackend.serve(device, tmp.resolve("n.sock"), VhostUserBackend.Options.defaults())) {
            NetBench.Result r = NetBench.run("pvkit", tmp.resolve("n.sock"), 64, Duration.ofMillis(300));
            assertThat(r.frames()).isPositive();
            assertThat(device.counters().findings()).isEmpty();
        }
    }

    @Test
    void dpdkTestpmdReflectsFramesToTheFrontEnd() {
        Path socket = tmp.resolve("d.sock");
        NetBench.Result r;
        String out;
        try (Testpmd t = Testpmd.backend(List.of(socket), 1, "macswap", 1)) {
            r = NetBench.run("dpdk-testpmd", socket, 64, Duration.ofMillis(300));
            out = t.output();
        }
        assertThat(r.frames()).as(out).isPositive();
    }

    @Test
    void onTwoPairsPvkitAnswersEachFlowOnItsOwnPair() {
        EthernetSwitch sw = new EthernetSwitch();
        new MacSwapReflector(sw, NetBench.REFLECTOR_MAC);
        try (VirtioNetDevice device = new VirtioNetDevice("bench", sw, NetOptions.defaults().withPacked(false).withQueuePairs(2));
             VhostUserBackend b = VhostUserBackend.serve(device, tmp.resolve("n2.sock"), VhostUserBackend.Options.defaults())) {
            NetBench.Result r = NetBench.run("pvkit", tmp.resolve("n2.sock"), 2, 64, Duration.ofMillis(300));
            assertThat(r.frames()).isPositive();
            for (int pair = 0; pair < 2; pair++) assertThat(device.receivedOn(pair)).as("frames back on pair " + pair).isPositive();
        }
    }

    @Test
    void dpdkTestpmdReflectsFramesOnTwoPairs() {
        Path socket = tmp.resolve("d2.sock");
        NetBench.Result r;
        String out;
        try (Testpmd t = Testpmd.backend(List.of(socket), 2, "macswap", 1)) {
            r = NetBench.run("dpdk-testpmd", socket, 2, 64, Duration.ofMillis(300));
            out = t.output();
        }
        assertThat(r.frames()).as(out).isPositive();
    }
}

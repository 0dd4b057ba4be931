package dev.pvkit.backends.net;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A TAP port on the switch, moved into a network namespace the test makes: the namespace's own kernel stack pings the
 * responder through the switch and gets answers, so frames cross in both directions. Closing the port removes the
 * interface.
 */
class TapPortTest {
    private static final String TAP = "pvkt" + ProcessHandle.current().pid() % 100_000;

    @BeforeAll
    static void needsNamespaces() {
        String why = NetworkNamespace.unavailable();
        assumeTrue(why == null, "TAP port tests need root, iproute2 and /dev/net/tun: " + why);
    }

    @Test
    void aNamespaceBehindTheTapPortPingsTheResponder() throws Exception {
        EthernetSwitch sw = new EthernetSwitch();
        Responder responder = new Responder(sw, 0x0200_0000_00feL, Ipv4.parse("10.0.2.2"), 24);
        try (NetworkNamespace ns = NetworkNamespace.create("pvkit-tap-" + ProcessHandle.current().pid());
             TapPort tap = TapPort.open(TAP, sw)) {
            ns.take(TAP, "10.0.2.50/24");
            NetworkNamespace.Result ping = ns.exec("busybox", "ping", "-c", "3", "-W", "5", "10.0.2.2");
            assertThat(ping.exit()).as(ping.output()).isZero();
            assertThat(ping.output()).contains("3 packets received");
            assertThat(tap.fromKernel()).as("ARP and echo requests from the namespace").isGreaterThanOrEqualTo(4);
            assertThat(tap.toKernel()).as("ARP and echo replies to it").isGreaterThanOrEqualTo(4);
            assertThat(responder.answered()).isGreaterThanOrEqualTo(4);
        }
        assertThat(NetworkNamespace.run(java.util.List.of("ip", "link", "show", TAP)).exit()).as("interface gone with the port").isNotZero();
    }

    @Test
    void aBadNameIsRefusedInOneLine() {
        assertThatThrownBy(() -> TapPort.open("no spaces allowed", new EthernetSwitch())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not an interface name");
    }
}

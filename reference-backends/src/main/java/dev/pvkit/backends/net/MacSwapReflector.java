package dev.pvkit.backends.net;

/**
 * A switch port that sends every unicast frame addressed to it back where it came from, source and destination
 * swapped: what dpdk-testpmd's macswap forwarding does, so a benchmark measures the same round trip on either
 * back-end.
 */
public final class MacSwapReflector implements SwitchPort {
    private final EthernetSwitch sw;
    private final long mac;

    public MacSwapReflector(EthernetSwitch sw, long mac) {
        this.sw = sw;
        this.mac = mac;
        sw.attach(this);
    }

    @Override
    public String name() {
        return "reflector " + Ethernet.formatMac(mac);
    }

    @Override
    public void deliver(byte[] frame) {
        if (Ethernet.destination(frame) != mac) return;
        byte[] back = frame.clone(); // frames are shared with other ports: never change one in place
        Ethernet.putMac(back, 0, Ethernet.source(frame));
        Ethernet.putMac(back, 6, mac);
        sw.forward(this, back);
    }
}

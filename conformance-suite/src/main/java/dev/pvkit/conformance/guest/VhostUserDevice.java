package dev.pvkit.conformance.guest;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A vhost-user back-end the guest should see: the socket it listens on, the device type, the number of queues
 * whether to ask QEMU for packed rings, and further QEMU device properties (e.g. {@code event_idx=off}).
 */
public record VhostUserDevice(Type type, Path socket, int queues, boolean packed, List<String> properties) {
    public enum Type { BLK, NET }

    public VhostUserDevice {
        Objects.requireNonNull(type);
        Objects.requireNonNull(socket);
        if (queues < 1) throw new IllegalArgumentException("queues must be positive: " + queues);
        properties = List.copyOf(properties);
        for (String p : properties) {
            if (!p.matches("[a-z0-9_-]+=[a-z0-9:./_-]+")) throw new IllegalArgumentException("not a device property: " + p);
        }
    }

    public static VhostUserDevice blk(Path socket, int queues) {
        return new VhostUserDevice(Type.BLK, socket, queues, false, List.of());
    }

    /** {@code queues} is the number of RX/TX queue pairs. */
    public static VhostUserDevice net(Path socket, int queuePairs) {
        return new VhostUserDevice(Type.NET, socket, queuePairs, false, List.of());
    }

    public VhostUserDevice withPacked(boolean on) {
        return new VhostUserDevice(type, socket, queues, on, properties);
    }

    /** With QEMU device properties {@code name=value} added to the device's own (e.g. {@code event_idx=off}). */
    public VhostUserDevice withProperties(List<String> more) {
        List<String> all = new ArrayList<>(properties);
        all.addAll(more);
        return new VhostUserDevice(type, socket, queues, packed, all);
    }

    /** The {@code -netdev} id of the {@code index}-th device of a command line (from 0), as {@link QemuMonitor#setLink} names it. */
    public static String netdevId(int index) {
        return id(index) + "-net";
    }

    /** The chardev id of the {@code index}-th device of a command line, from which its other ids are made. */
    static String id(int index) {
        return "vhu" + index;
    }

    /** QEMU arguments for this device; {@code id} makes chardev and device names unique on one command line. */
    public List<String> qemuArgs(String id) {
        List<String> a = new ArrayList<>(List.of("-chardev", "socket,id=" + id + ",path=" + socket));
        String packedOpt = (packed ? ",packed=on" : "") + properties.stream().map(p -> "," + p).reduce("", String::concat);
        switch (type) {
            case BLK -> a.addAll(List.of("-device",
                    "vhost-user-blk-pci,id=" + id + "-dev,chardev=" + id + ",num-queues=" + queues + packedOpt));
            case NET -> a.addAll(List.of("-netdev", "vhost-user,id=" + id + "-net,chardev=" + id + ",queues=" + queues,
                    // vectors=0 (INTx): QEMU 7.2 under TCG crashes when a vhost-user-net guest enables MSI-X.
                    "-device", "virtio-net-pci,netdev=" + id + "-net,vectors=0" + (queues > 1 ? ",mq=on" : "") + packedOpt));
        }
        return a;
    }
}

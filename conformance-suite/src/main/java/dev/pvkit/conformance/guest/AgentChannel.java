package dev.pvkit.conformance.guest;

import java.nio.file.Path;
import java.util.List;

/**
 * Where the guest agent talks: a second serial port (built into every x86 kernel, nothing to load) or a
 * virtio console (needs virtio_console in the guest, and is itself a virtio device under test). Either way the
 * host end is a unix socket chardev the harness listens on.
 */
public enum AgentChannel {
    SERIAL("ttyS1"),
    VIRTIO_CONSOLE("hvc0");

    public static final String CHARDEV_ID = "pvkit-agent";
    private final String guestTty;

    AgentChannel(String guestTty) {
        this.guestTty = guestTty;
    }

    /** The tty the agent opens in the guest; passed to /init as {@code pvkit.agent=<tty>}. */
    public String guestTty() {
        return guestTty;
    }

    /** QEMU arguments that connect this channel to {@code socket} (the harness is the listening side). */
    public List<String> qemuArgs(Path socket) {
        String chardev = "socket,id=" + CHARDEV_ID + ",path=" + socket;
        return switch (this) {
            case SERIAL -> List.of("-chardev", chardev, "-serial", "chardev:" + CHARDEV_ID);
            case VIRTIO_CONSOLE -> List.of("-chardev", chardev, "-device", "virtio-serial-pci,id=pvkit-vser",
                    "-device", "virtconsole,chardev=" + CHARDEV_ID + ",bus=pvkit-vser.0");
        };
    }
}

package dev.pvkit.backends.net;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Linux TAP interface as a port of an {@link EthernetSwitch}: what the kernel sends out of the interface enters the
 * switch, and what the switch delivers here the kernel receives on it. The interface is made in the caller's network
 * namespace and lives as long as this port; move it into a namespace of your own ({@code ip link set NAME netns NS})
 * before giving it addresses, so that guests on the switch reach that namespace and never the host's own network.
 *
 * <p>A reader thread polls the TAP descriptor with a short timeout, so that closing the port ends it promptly.
 * Needs CAP_NET_ADMIN and {@code /dev/net/tun}.
 */
public final class TapPort implements SwitchPort, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TapPort.class);
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TAP = 0x0002;
    private static final short IFF_NO_PI = 0x1000;
    private static final int IFNAMSIZ = 16;
    private static final short POLLIN = 0x1;
    private static final int POLL_MILLIS = 100;
    /** A TAP frame is at most the interface's MTU plus the Ethernet header; 64 KiB holds any MTU. */
    private static final int READ_BYTES = 65536;

    static {
        Native.register("c");
    }

    private static native int open(String path, int flags) throws LastErrorException;

    private static native int ioctl(int fd, long request, byte[] ifreq) throws LastErrorException;

    private static native long read(int fd, byte[] buf, long count) throws LastErrorException;

    private static native long write(int fd, byte[] buf, long count) throws LastErrorException;

    /** {@code fds} is a struct pollfd: the descriptor, then events in the low and revents in the high 16 bits. */
    private static native int poll(int[] fds, long nfds, int timeout) throws LastErrorException;

    private static native int close(int fd) throws LastErrorException;

    private final String name;
    private final EthernetSwitch sw;
    private final int fd;
    private final Thread reader;
    private final AtomicLong fromKernel = new AtomicLong();
    private final AtomicLong toKernel = new AtomicLong();
    private volatile boolean closed;

    private TapPort(String name, EthernetSwitch sw, int fd) {
        this.name = name;
        this.sw = sw;
        this.fd = fd;
        this.reader = new Thread(this::readLoop, "pvkit-tap-" + name);
        reader.setDaemon(true);
    }

    /**
     * Makes TAP interface {@code name} (1 to 15 letters, digits, {@code - _ .}) and plugs it into {@code sw}.
     *
     * @throws IllegalArgumentException for a bad name
     * @throws IllegalStateException    when the system refuses (no /dev/net/tun, no CAP_NET_ADMIN, name in use)
     */
    public static TapPort open(String name, EthernetSwitch sw) {
        if (!name.matches("[A-Za-z0-9_.-]{1,15}")) throw new IllegalArgumentException("not an interface name: " + name);
        int fd;
        try {
            fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IllegalStateException("cannot open /dev/net/tun: " + Native.getLastError() + " (" + e.getMessage() + ")", e);
        }
        try {
            byte[] ifreq = new byte[40]; // struct ifreq: the name, then a union whose first member is the flags
            byte[] n = name.getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(n, 0, ifreq, 0, n.length);
            short flags = IFF_TAP | IFF_NO_PI; // frames only, without the packet-information prefix
            ifreq[IFNAMSIZ] = (byte) flags;
            ifreq[IFNAMSIZ + 1] = (byte) (flags >>> 8);
            ioctl(fd, TUNSETIFF, ifreq);
        } catch (LastErrorException e) {
            close(fd);
            throw new IllegalStateException("cannot make TAP interface " + name + " (needs CAP_NET_ADMIN and a free name): " + e.getMessage(), e);
        }
        TapPort port = new TapPort(name, sw, fd);
        sw.attach(port);
        port.reader.start();
        return port;
    }

    @Override
    public String name() {
        return "tap " + name;
    }

    /** Frames the kernel sent into the switch. */
    public long fromKernel() {
        return fromKernel.get();
    }

    /** Frames the switch handed to the kernel. */
    public long toKernel() {
        return toKernel.get();
    }

    @Override
    public void deliver(byte[] frame) {
        if (closed) return;
        try {
            write(fd, frame, frame.length); // one write is one frame; the kernel drops it if the interface is down
            toKernel.incrementAndGet();
        } catch (LastErrorException e) {
            LOG.debug("{}: frame not written: {}", name, e.getMessage());
        }
    }

    private void readLoop() {
        byte[] buf = new byte[READ_BYTES];
        int[] pollfd = {fd, POLLIN};
        while (!closed) {
            try {
                pollfd[1] = POLLIN;
                if (poll(pollfd, 1, POLL_MILLIS) <= 0) continue;
                long n = read(fd, buf, buf.length);
                if (n < VirtioNet.ETH_HEADER) continue;
                byte[] frame = java.util.Arrays.copyOf(buf, (int) n);
                fromKernel.incrementAndGet();
                sw.forward(this, frame);
            } catch (LastErrorException e) {
                if (closed) return;
                LOG.warn("{}: reading the TAP interface failed: {}; its port stops", name, e.getMessage());
                return;
            }
        }
    }

    /** Takes the port off the switch and closes the interface, which the kernel then removes. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        sw.detach(this);
        try {
            reader.join(5 * POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close(fd);
    }
}

package dev.pvkit.conformance.guest;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Host side of the guest agent protocol (spec Appendix B): one command at a time, each answered by exactly one
 * result line. Every wait is bounded; after a timeout the channel is out of step (a late answer would be taken
 * for the next command's), so the agent refuses further commands.
 */
public final class GuestAgent implements AutoCloseable {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    /** Marks the end of the channel in the line queue (compared by identity). */
    private static final String EOF = new String("<eof>");

    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final OutputStream out;
    private final Closeable channel;
    private final Thread reader;
    private volatile Duration timeout = DEFAULT_TIMEOUT;
    private AgentProtocol.Banner banner;
    private String brokenBy;

    private GuestAgent(InputStream in, OutputStream out, Closeable channel) {
        this.out = out;
        this.channel = channel;
        // A reader thread turns the stream into lines, so every wait can have a deadline.
        this.reader = new Thread(() -> readLines(in), "pvkit-agent-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** An agent on any byte stream pair; {@code channel} is closed by {@link #close()}. */
    public static GuestAgent over(InputStream in, OutputStream out, Closeable channel) {
        return new GuestAgent(Objects.requireNonNull(in), Objects.requireNonNull(out), channel);
    }

    /** The time limit of each following command (default 60 s). */
    public GuestAgent timeout(Duration d) {
        this.timeout = Objects.requireNonNull(d);
        return this;
    }

    /** Waits for the banner, skipping anything before it (e.g. boot noise on a shared serial line). */
    public synchronized AgentProtocol.Banner awaitReady(Duration limit) {
        if (banner != null) return banner;
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            String line = next(deadline, "the agent's banner", limit);
            if (AgentProtocol.classify(line) == AgentProtocol.Kind.BANNER) {
                banner = AgentProtocol.parseBanner(line);
                if (banner.version() != AgentProtocol.VERSION) {
                    throw new AgentException("agent speaks protocol " + banner.version() + ", the harness "
                            + AgentProtocol.VERSION, (AgentReply) null);
                }
                return banner;
            }
        }
    }

    /** Sends one command and returns its reply, OK or ERR; throws only if there is no reply. */
    public synchronized AgentReply call(String command) {
        return call(command, timeout);
    }

    public synchronized AgentReply call(String command, Duration limit) {
        if (brokenBy != null) throw new AgentException("agent channel unusable: " + brokenBy, (AgentReply) null);
        if (command.indexOf('\n') >= 0 || command.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("one command per line: " + command);
        }
        try {
            out.write((command + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException e) {
            brokenBy = "cannot send " + command + ": " + e.getMessage();
            throw new AgentException(brokenBy, e);
        }
        long deadline = System.nanoTime() + limit.toNanos();
        List<String> data = new ArrayList<>();
        while (true) {
            String line = next(deadline, "the answer to " + command, limit);
            switch (AgentProtocol.classify(line)) {
                case OK, ERR -> {
                    return AgentProtocol.result(line, data);
                }
                case DATA -> data.add(AgentProtocol.data(line));
                case BANNER -> {
                    brokenBy = "the agent restarted while running " + command;
                    throw new AgentException(brokenBy, (AgentReply) null);
                }
                case NOISE -> { /* not part of the protocol; ignored */ }
            }
        }
    }

    /** Like {@link #call} but an ERR reply throws. */
    public AgentReply require(String command) {
        AgentReply r = call(command);
        if (!r.ok()) throw new AgentException(command + " -> ERR " + r.text(), r);
        return r;
    }

    public void ping() {
        require("PING");
    }

    /** Writes the seeded pattern ({@link PatternGenerator}) at a byte offset of a guest block device. */
    public void write(String dev, long offset, long length, long seed) {
        write(dev, offset, length, seed, false);
    }

    /**
     * As {@link #write(String, long, long, long)}; with {@code direct} past the page cache (O_DIRECT: offset and
     * length multiples of the logical block size), so the driver gets the requests at once.
     */
    public void write(String dev, long offset, long length, long seed, boolean direct) {
        PatternGenerator.checkSeed(seed);
        require(direct ? AgentProtocol.command("WRITE", dev, offset, length, seed, "direct")
                : AgentProtocol.command("WRITE", dev, offset, length, seed));
    }

    /** The SHA-256 (hex) of what the device holds in the range, read past the guest's page cache. */
    public String read(String dev, long offset, long length) {
        return read(dev, offset, length, false);
    }

    /** As {@link #read(String, long, long)}; with {@code direct} through O_DIRECT (no read-ahead). */
    public String read(String dev, long offset, long length, boolean direct) {
        return require(direct ? AgentProtocol.command("READ", dev, offset, length, "direct")
                : AgentProtocol.command("READ", dev, offset, length)).field("sha256");
    }

    /** Writes back the guest's cached data and sends the device a cache flush. */
    public void flush(String dev) {
        require(AgentProtocol.command("FLUSH", dev));
    }

    /** Discards a range; an ERR ({@code unsupported} when the device has no discard) is returned, not thrown. */
    public AgentReply discard(String dev, long offset, long length) {
        return call(AgentProtocol.command("DISCARD", dev, offset, length));
    }

    /**
     * Zeroes a range (BLKZEROOUT: WRITE_ZEROES requests when the driver negotiated them); an ERR is returned, not
     * thrown (an agent of an older protocol answers {@code ERR unknown command ZEROES}).
     */
    public AgentReply zeroes(String dev, long offset, long length) {
        return call(AgentProtocol.command("ZEROES", dev, offset, length));
    }

    /**
     * Runs {@code commands} (WRITE, READ, ZEROES or DISCARD lines, as {@link AgentProtocol#command} makes them) at once,
     * so that their requests are in flight together; returns each one's own reply, in order. The batch as a whole
     * fails only when the agent refuses it (a command it does not batch) or does not answer.
     */
    public List<AgentReply> batch(List<String> commands) {
        List<String> words = commands.stream().map(c -> c.replace(' ', ':')).toList();
        AgentReply r = require(AgentProtocol.command("BATCH", words.toArray()));
        if (r.data().size() != commands.size()) {
            throw new AgentException("BATCH of " + commands.size() + " commands answered " + r.data().size() + " results", r);
        }
        List<AgentReply> each = new java.util.ArrayList<>();
        for (String line : r.data()) {
            try {
                each.add(AgentProtocol.result(line, List.of()));
            } catch (IllegalArgumentException e) {
                each.add(new AgentReply(false, "no result from the batched command (" + line + ")", List.of()));
            }
        }
        return each;
    }

    /** Unbinds the device from its driver and binds it again (the driver resets and re-initializes it). */
    public void rebind(String driver, String device) {
        require(AgentProtocol.command("REBIND", driver, device));
    }

    /** Kernel messages since the previous call. */
    public List<String> dmesg() {
        return require("DMESG").data();
    }

    /** Brings interface {@code ifname} up with address {@code cidr} (a.b.c.d/prefix). */
    public void netUp(String ifname, String cidr) {
        require(AgentProtocol.command("NETUP", ifname, cidr));
    }

    /** What the guest knows of interface {@code ifname}: its driver, features and packet counters. */
    public NetInfo netInfo(String ifname) {
        return NetInfo.parse(require(AgentProtocol.command("NETINFO", ifname)).fields());
    }

    /** Polls NETINFO until the interface exists (drivers probe asynchronously after the agent starts). */
    public NetInfo awaitInterface(String ifname, Duration limit) throws InterruptedException {
        return NetInfo.parse(awaitOk(AgentProtocol.command("NETINFO", ifname), limit, "interface " + ifname + " did not appear within " + limit).fields());
    }

    /** Pings {@code address} {@code count} times with {@code size}-byte payloads; returns how many answers came. */
    public int netPing(String address, int count, int size) {
        return Integer.parseInt(require(AgentProtocol.command("NETPING", address, count, size)).field("received"));
    }

    /** {@link #netPing(String, int, int)} from a process pinned to {@code cpu}, whose transmit queue Linux maps it to. */
    public int netPing(String address, int count, int size, int cpu) {
        return Integer.parseInt(require(AgentProtocol.command("NETPING", address, count, size, cpu)).field("received"));
    }

    /** Starts a TCP listener on {@code port} that keeps what one connection sends (see {@link #netReceived}). */
    public void netListen(int port) {
        require(AgentProtocol.command("NETLISTEN", port));
    }

    /** Waits (at most {@code seconds}) for the connection {@link #netListen} took to end; the SHA-256 (hex) of what came. */
    public String netReceived(int port, int seconds) {
        return require(AgentProtocol.command("NETRECEIVED", port, seconds)).field("sha256");
    }

    /** Sends {@code length} bytes of the seeded pattern ({@link PatternGenerator}) over TCP to {@code address}:{@code port}. */
    public void netSend(String address, int port, long length, long seed) {
        PatternGenerator.checkSeed(seed);
        require(AgentProtocol.command("NETSEND", address, port, length, seed));
    }

    public BlockInfo info(String dev) {
        return BlockInfo.parse(require(AgentProtocol.command("INFO", dev)).fields());
    }

    /** Polls INFO until the device exists (drivers probe asynchronously after the agent starts). */
    public BlockInfo awaitDevice(String dev, Duration limit) throws InterruptedException {
        return BlockInfo.parse(awaitOk(AgentProtocol.command("INFO", dev), limit, "no " + dev + " in the guest").fields());
    }

    /**
     * Sends {@code command} until it is answered OK (a device the driver has not bound yet is not there), at most
     * {@code limit}; then throws with {@code failure} and the last answer.
     */
    private AgentReply awaitOk(String command, Duration limit, String failure) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            AgentReply r = call(command);
            if (r.ok()) return r;
            if (System.nanoTime() - deadline > 0) throw new AgentException(failure + ": " + r.text(), r);
            Thread.sleep(200);
        }
    }

    /**
     * Reads at most {@code maxBytes} (1..4096) from the start of the guest file {@code path} (absolute; letters,
     * digits, {@code _ . - / :}, no {@code ..}): a character device such as {@code /dev/hwrng}, which gives
     * {@code maxBytes} or blocks until it has them, or a sysfs attribute, which gives what it holds. How a test sees
     * what a driver of a device other than a disk produces.
     */
    public byte[] dump(String path, int maxBytes) {
        if (maxBytes < 1 || maxBytes > 4096) throw new IllegalArgumentException("maxBytes must be 1..4096: " + maxBytes);
        AgentReply r = require(AgentProtocol.command("DUMP", path, maxBytes));
        byte[] bytes;
        try {
            bytes = java.util.HexFormat.of().parseHex(String.join("", r.data()));
        } catch (IllegalArgumentException e) {
            throw new AgentException("DUMP " + path + " sent data that is not hex: " + r.data(), r);
        }
        if (!Integer.toString(bytes.length).equals(r.field("bytes"))) {
            throw new AgentException("DUMP " + path + " announced " + r.field("bytes") + " bytes but sent " + bytes.length, r);
        }
        return bytes;
    }

    /** Asks the guest to power off. The channel may close before the OK arrives, which also counts. */
    public void poweroff() {
        lastCall("POWEROFF");
    }

    /**
     * Asks the guest to end QEMU with {@code code} (1..{@value QemuExit#MAX_GUEST_CODE}) through the
     * isa-debug-exit device of the default template: QEMU exits with {@code (code << 1) | 1}, which
     * {@link QemuInstance#awaitResult} reads back as {@link QemuExit#guestCode()}. A machine without the device
     * powers off instead (status 0). The channel may close before the OK arrives, which also counts.
     */
    public void exit(int code) {
        QemuExit.statusOf(code); // range check
        lastCall(AgentProtocol.command("EXIT", code));
    }

    private void lastCall(String command) {
        AgentReply r;
        try {
            r = call(command, Duration.ofSeconds(30));
        } catch (AgentException e) {
            if (brokenBy != null && brokenBy.startsWith("channel closed")) return;
            throw e;
        }
        if (!r.ok()) throw new AgentException(command + " -> ERR " + r.text(), r);
    }

    /**
     * Asks the guest for a warm reboot and waits, within {@code limit}, for the agent's banner of the next boot on
     * the same channel (the one banner after the banner that is not a failure). QEMU must run without
     * {@code -no-reboot}, or the reboot ends QEMU and this throws (channel closed).
     */
    public synchronized AgentProtocol.Banner reboot(Duration limit) {
        AgentReply r = call("REBOOT", Duration.ofSeconds(30));
        if (!r.ok()) throw new AgentException("REBOOT -> ERR " + r.text(), r);
        banner = null;
        return awaitReady(limit);
    }

    @Override
    public void close() {
        try {
            if (channel != null) channel.close();
        } catch (IOException ignored) {
            // closing is best effort; the reader thread ends on EOF or error
        }
        reader.interrupt();
    }

    private String next(long deadline, String what, Duration limit) {
        try {
            long left = deadline - System.nanoTime();
            String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : lines.poll();
            if (line == null) {
                brokenBy = what + " did not come within the time limit ("
                        + (limit.toMillis() % 1000 == 0 ? limit.toSeconds() + " s" : limit.toMillis() + " ms") + ")";
                throw new AgentException(brokenBy, (AgentReply) null);
            }
            if (line == EOF) {
                lines.add(EOF); // stays closed for later calls
                brokenBy = "channel closed while waiting for " + what;
                throw new AgentException(brokenBy, (AgentReply) null);
            }
            return line;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException("interrupted while waiting for " + what, e);
        }
    }

    private void readLines(InputStream in) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    if (b == '\n') {
                        String s = line.toString(StandardCharsets.ISO_8859_1);
                        lines.add(s.endsWith("\r") ? s.substring(0, s.length() - 1) : s);
                        line.reset();
                    } else {
                        line.write(b);
                    }
                }
            }
        } catch (IOException ignored) {
            // a closed channel ends the stream like EOF
        } finally {
            lines.add(EOF);
        }
    }
}

package dev.pvkit.backends.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace made for a run (never the host's own network), with a {@link TapPort}'s interface moved into
 * it and commands run inside it, through iproute2's {@code ip}; deleted on close. {@link #unavailable()} says why this
 * machine cannot make one, if it cannot.
 */
public final class NetworkNamespace implements AutoCloseable {
    private final String name;

    private NetworkNamespace(String name) {
        this.name = name;
    }

    /** Whether namespaces and TAP interfaces can be made here (root, iproute2, /dev/net/tun); the reason if not. */
    public static String unavailable() {
        if (!java.nio.file.Files.exists(java.nio.file.Path.of("/dev/net/tun"))) return "no /dev/net/tun";
        try {
            Result r = run(List.of("ip", "netns", "add", "pvkit-probe-" + ProcessHandle.current().pid()));
            run(List.of("ip", "netns", "del", "pvkit-probe-" + ProcessHandle.current().pid()));
            return r.exit == 0 ? null : "cannot make a network namespace: " + r.output.strip();
        } catch (IOException e) {
            return "iproute2's ip is missing (Debian package iproute2): " + e.getMessage();
        }
    }

    public static NetworkNamespace create(String name) throws IOException {
        Result r = run(List.of("ip", "netns", "add", name));
        if (r.exit != 0) throw new IOException("ip netns add " + name + ": " + r.output);
        return new NetworkNamespace(name);
    }

    /** Moves interface {@code ifname} in here, gives it {@code cidr} and brings it and loopback up. */
    public void take(String ifname, String cidr) throws IOException {
        must(List.of("ip", "link", "set", ifname, "netns", name));
        must(List.of("ip", "-n", name, "addr", "add", cidr, "dev", ifname));
        must(List.of("ip", "-n", name, "link", "set", ifname, "up"));
        must(List.of("ip", "-n", name, "link", "set", "lo", "up"));
    }

    /** Runs {@code command} inside the namespace. */
    public Result exec(String... command) throws IOException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", name));
        c.addAll(List.of(command));
        return run(c);
    }

    private static void must(List<String> command) throws IOException {
        Result r = run(command);
        if (r.exit != 0) throw new IOException(String.join(" ", command) + ": " + r.output);
    }

    /** A command's exit status and its output (stdout and stderr together). */
    public record Result(int exit, String output) {
    }

    public static Result run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out: " + String.join(" ", command));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    public String name() {
        return name;
    }

    @Override
    public void close() throws IOException {
        run(List.of("ip", "netns", "del", name));
    }
}

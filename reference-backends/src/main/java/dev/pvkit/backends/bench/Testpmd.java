package dev.pvkit.backends.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * DPDK's {@code dpdk-testpmd} (Debian package dpdk-dev) as the anchor PVKit's virtio-net side is compared with: as a
 * C virtio-net front-end ({@code net_virtio_user}) on a vhost-user socket someone else serves, or as a vhost-user-net
 * back-end ({@code net_vhost}) serving sockets itself. No huge pages (its memory is a memfd it shares). Closing it
 * stops it with SIGTERM, after which it prints its statistics ({@link #totals()}), and waits for it.
 */
public final class Testpmd implements AutoCloseable {
    public static final Path BINARY = Path.of("/usr/bin/dpdk-testpmd");
    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final Pattern RX = Pattern.compile("RX-packets: +(\\d+)");
    private static final Pattern TX = Pattern.compile("TX-packets: +(\\d+)");

    private final Process process;
    private final Path log;
    private final String prefix;
    private long[] totals;

    private Testpmd(Process process, Path log, String prefix) {
        this.process = process;
        this.log = log;
        this.prefix = prefix;
    }

    /**
     * A C front-end on {@code socket} (served by someone else) with {@code queues} queue pairs, forwarding in
     * {@code mode} ({@code icmpecho}: answers ARP and ICMP echo; {@code flowgen}: sends 64-byte UDP frames on many
     * flows; {@code rxonly}: counts), its polling core {@code core}.
     */
    public static Testpmd frontend(Path socket, int queues, String mode, int core) {
        return start(List.of("--vdev", "net_virtio_user0,path=" + socket + ",queues=" + queues), queues, mode, core, null);
    }

    /** A vhost-user-net back-end serving one port per socket (created here), forwarding in {@code mode} on {@code core}. */
    public static Testpmd backend(List<Path> sockets, int queues, String mode, int core) {
        List<String> vdevs = new ArrayList<>();
        for (int i = 0; i < sockets.size(); i++) vdevs.addAll(List.of("--vdev", "net_vhost" + i + ",iface=" + sockets.get(i) + ",queues=" + queues));
        return start(vdevs, queues, mode, core, sockets);
    }

    private static Testpmd start(List<String> vdevs, int queues, String mode, int core, List<Path> serves) {
        if (!Files.isExecutable(BINARY)) throw new IllegalStateException(BINARY + " is missing: install Debian's dpdk-dev");
        String prefix = "pvkit-" + ProcessHandle.current().pid() + "-" + RUNS.incrementAndGet();
        List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "-l", "0," + core, "--main-lcore", "0", "--no-pci",
                "--no-huge", "-m", "1024", "--file-prefix", prefix, "--log-level", "lib.eal:warning"));
        cmd.addAll(vdevs);
        cmd.addAll(List.of("--", "--forward-mode=" + mode, "--stats-period", "1", "--total-num-mbufs", "16384",
                "--rxq=" + queues, "--txq=" + queues, "--nb-cores=1"));
        // One port forwards back to itself (the default pairs ports, and leaves an odd one idle).
        if (vdevs.size() == 2) cmd.add("--port-topology=loop");
        try {
            if (serves != null) for (Path s : serves) Files.deleteIfExists(s);
            Path log = Files.createTempFile("pvkit-testpmd", ".log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            Testpmd t = new Testpmd(p, log, prefix);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            // Forwarding has started once the first statistics are printed; a back-end's sockets exist before.
            while (!Files.readString(log, java.nio.charset.StandardCharsets.ISO_8859_1).contains("Port statistics")) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    String out = Files.readString(log, java.nio.charset.StandardCharsets.ISO_8859_1);
                    t.close();
                    throw new IllegalStateException("dpdk-testpmd did not start: " + out);
                }
                Thread.sleep(20);
            }
            return t;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start dpdk-testpmd", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting dpdk-testpmd", e);
        }
    }

    /** Everything testpmd printed so far. */
    public String output() {
        try {
            return Files.readString(log, java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }

    /** The port statistics testpmd printed last: {RX-packets, TX-packets} summed over its ports. */
    public long[] latest() {
        String out = output();
        int at = out.lastIndexOf("Port statistics");
        if (at < 0) return new long[]{0, 0};
        String last = out.substring(at);
        int end = last.indexOf("Port statistics", 1);
        if (end > 0) last = last.substring(0, end);
        return new long[]{sum(RX.matcher(last)), sum(TX.matcher(last))};
    }

    /** After {@link #close()}: {RX-packets, TX-packets} of the accumulated statistics testpmd printed as it stopped. */
    public long[] totals() {
        if (totals == null) throw new IllegalStateException("totals exist once testpmd is closed");
        return totals.clone();
    }

    private static long sum(Matcher m) {
        long n = 0;
        while (m.find()) n += Long.parseLong(m.group(1));
        return n;
    }

    @Override
    public void close() {
        if (totals != null) return;
        process.destroy(); // SIGTERM: testpmd stops forwarding and prints its accumulated statistics
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String out = output();
        int at = out.indexOf("Accumulated forward statistics");
        totals = at < 0 ? new long[]{0, 0} : new long[]{firstAfter(RX, out, at), firstAfter(TX, out, at)};
        try {
            Files.deleteIfExists(log);
            deleteTree(Path.of("/var/run/dpdk", prefix)); // its runtime directory, left when killed
        } catch (IOException ignored) {
            // temporary files only
        }
    }

    private static long firstAfter(Pattern p, String out, int at) {
        Matcher m = p.matcher(out);
        return m.find(at) ? Long.parseLong(m.group(1)) : 0;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}

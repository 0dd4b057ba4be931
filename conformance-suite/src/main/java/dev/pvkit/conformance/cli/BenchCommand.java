package dev.pvkit.conformance.cli;

import dev.pvkit.backends.bench.BlkBench;
import dev.pvkit.backends.bench.NetBench;
import dev.pvkit.backends.bench.NullBlockStore;
import dev.pvkit.backends.bench.StorageDaemon;
import dev.pvkit.backends.bench.Testpmd;
import dev.pvkit.backends.blk.BlkOptions;
import dev.pvkit.backends.blk.BlockStore;
import dev.pvkit.backends.blk.FileBlockStore;
import dev.pvkit.backends.blk.VirtioBlkDevice;
import dev.pvkit.backends.net.EthernetSwitch;
import dev.pvkit.backends.net.MacSwapReflector;
import dev.pvkit.backends.net.NetOptions;
import dev.pvkit.backends.net.VirtioNetDevice;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** {@code pvkit bench …}: measure backends with PVKit's Java front-end. */
@Command(name = "bench", description = "Benchmark backends through PVKit's Java vhost-user front-end.",
        mixinStandardHelpOptions = true, subcommands = {BenchCommand.Blk.class, BenchCommand.Net.class})
final class BenchCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "blk", mixinStandardHelpOptions = true,
            description = "4 KiB random read and write at queue depth 1 and 32 against PVKit's virtio-blk backend "
                    + "(and, with --compare, qemu-storage-daemon on the same backing: a file on tmpfs, and a null device).")
    static final class Blk implements Runnable {
        @Option(names = "--duration", defaultValue = "5s", converter = Sizes.Time.class, description = "per measurement (default ${DEFAULT-VALUE})")
        Duration each;

        @Option(names = "--size", defaultValue = "256M", converter = Sizes.ByteSize.class, description = "disk size (default ${DEFAULT-VALUE})")
        long bytes;

        @Option(names = "--depths", defaultValue = "1,32", split = ",", description = "queue depths (default ${DEFAULT-VALUE})")
        List<Integer> depths;

        @Option(names = "--queues", defaultValue = "2", description = "also measure this many queues at once, each at the"
                + " largest depth and driven by a front-end thread of its own, and print its scaling over one queue; 1: no"
                + " such rows (default ${DEFAULT-VALUE})")
        int queues;

        @Option(names = "--compare", description = "also measure qemu-storage-daemon in the same run and print PVKit/qsd ratios")
        boolean compare;

        @Option(names = "--xen", description = "instead: Linux's xen-blkfront in a PV domU on Xen (the live rig, under QEMU TCG) "
                + "against the kernel's xen-blkback and against PVKit's blkback, boots alternating in one run; sequential O_DIRECT "
                + "writes and reads in 1 MiB requests (--size of them, default 32M) and 4 KiB requests (an eighth of that); "
                + "prints PVKit/kernel ratios. Takes --size and --rounds")
        boolean xen;

        @Option(names = "--rounds", paramLabel = "N", description = "with --xen: boots of each back-end, alternating (default 1)")
        Integer rounds;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            if (xen) {
                xenBench();
                return;
            }
            if (rounds != null) throw new UserError("--rounds goes with --xen only");
            if (bytes < 1 << 20) throw new UserError("--size must be at least 1M");
            for (int d : depths) if (d < 1 || d > 128) throw new UserError("queue depths must be 1..128, got " + d);
            if (queues < 1 || queues > 4) throw new UserError("--queues must be 1..4, got " + queues);
            if (compare && !Files.isExecutable(StorageDaemon.BINARY)) {
                throw new UserError("--compare needs " + StorageDaemon.BINARY + " (Debian package qemu-system-common)");
            }
            PrintWriter out = spec.commandLine().getOut();
            List<BlkBench.Result> results = new ArrayList<>();
            Path dir = TempDirs.create("pvkit-bench", true);
            try {
                Path image = dir.resolve("bench.img");
                createImage(image, bytes);
                results.addAll(pvkit("tmpfs", dir, each, out, path -> FileBlockStore.open(image, false)));
                if (compare) {
                    results.addAll(qsd("tmpfs", dir, each, out, sock -> StorageDaemon.file(image, sock, queues)));
                    results.addAll(pvkit("null", dir, each, out, path -> new NullBlockStore(bytes)));
                    results.addAll(qsd("null", dir, each, out, sock -> StorageDaemon.nullDevice(bytes, sock, queues)));
                }
            } finally {
                TempDirs.delete(dir);
            }
            report(out, results);
        }

        private void xenBench() {
            var parsed = spec.commandLine().getParseResult();
            for (String name : List.of("--duration", "--depths", "--queues", "--compare")) {
                if (parsed.hasMatchedOption(name)) throw new UserError(name + " does not go with --xen (it takes --size and --rounds)");
            }
            long moved = parsed.hasMatchedOption("--size") ? bytes : 32L << 20;
            if (moved < 1 << 20 || moved > 512L << 20 || moved % (1 << 20) != 0) {
                throw new UserError("--size with --xen must be a whole number of MiB from 1M to 512M");
            }
            int n = rounds == null ? 1 : rounds;
            if (n < 1 || n > 5) throw new UserError("--rounds must be 1..5, got " + n);
            PrintWriter out = spec.commandLine().getOut();
            List<dev.pvkit.conformance.certify.XenBench.Measurement> m;
            try {
                m = dev.pvkit.conformance.certify.XenBench.run((int) (moved >> 20), n, Duration.ofMinutes(5), line -> {
                    out.println("pvkit: " + line);
                    out.flush();
                });
            } catch (dev.pvkit.conformance.certify.SetupException e) {
                throw new UserError(e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UserError("interrupted");
            }
            out.println();
            out.println("Linux xen-blkfront on Xen 4.17 (QEMU TCG), median of " + n + " boot(s) each, MiB/s as the domU timed it:");
            out.printf("  %-10s %14s %14s %16s%n", "step", "kernel blkback", "PVKit blkback", "PVKit / kernel");
            for (String step : List.of("write-1m", "read-1m", "write-4k", "read-4k")) {
                double k = dev.pvkit.conformance.certify.XenBench.median(m, dev.pvkit.conformance.guest.XenRig.Backends.KERNEL, step);
                double p = dev.pvkit.conformance.certify.XenBench.median(m, dev.pvkit.conformance.guest.XenRig.Backends.PVKIT, step);
                out.printf("  %-10s %14.1f %14.1f %16.2f%n", step, k, p, p / k);
            }
            out.println("(both back-ends use persistent grants, 4-page rings and a ring per vCPU, as xen-blkfront asks; the kernel's"
                    + " disk is a loop device on dom0's RAM, PVKit's an in-memory store in dom0's JVM, C1-compiled)");
            out.flush();
        }

        interface StoreFactory {
            BlockStore open(Path dir) throws IOException;
        }

        private List<BlkBench.Result> pvkit(String backing, Path dir, Duration each, PrintWriter out, StoreFactory stores) {
            Path socket = dir.resolve("pvkit-" + backing + ".sock");
            try (BlockStore store = stores.open(dir);
                 VhostUserBackend b = VhostUserBackend.serve(
                         new VirtioBlkDevice(store, split(BlkOptions.defaults(store.size())).withQueues(queues)), socket,
                         VhostUserBackend.Options.defaults().withWorkers(queues))) {
                return measure("pvkit/" + backing, socket, each, out, true);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static BlkOptions split(BlkOptions d) {
            return d.withPacked(false);
        }

        private List<BlkBench.Result> qsd(String backing, Path dir, Duration each, PrintWriter out,
                                          Function<Path, StorageDaemon> start) {
            try (StorageDaemon d = start.apply(dir.resolve("qsd-" + backing + ".sock"))) {
                return measure("qsd/" + backing, d.socket(), each, out, false);
            }
        }

        /** {@code inThisJvm}: the back-end runs in this process, so what it allocates per request is counted too. */
        private List<BlkBench.Result> measure(String target, Path socket, Duration each, PrintWriter out, boolean inThisJvm) {
            List<BlkBench.Result> rs = new ArrayList<>();
            for (BlkBench.Workload w : BlkBench.Workload.values()) {
                for (int depth : depths) {
                    out.printf("pvkit: measuring %s %s QD%d for %s ...%n", target, w.name().toLowerCase(Locale.ROOT), depth, Sizes.human(each));
                    out.flush();
                    rs.add(BlkBench.run(target, socket, w, depth, each, inThisJvm));
                }
                if (queues > 1) {
                    int depth = depths.stream().mapToInt(Integer::intValue).max().orElse(1);
                    out.printf("pvkit: measuring %s %s %d queues at QD%d each for %s ...%n", target,
                            w.name().toLowerCase(Locale.ROOT), queues, depth, Sizes.human(each));
                    out.flush();
                    rs.add(BlkBench.runQueues(target, socket, w, depth, queues, each, inThisJvm));
                }
            }
            return rs;
        }

        private void report(PrintWriter out, List<BlkBench.Result> results) {
            out.println();
            out.printf("%-14s %-10s %2s %4s %12s %10s %10s %12s%n", "target", "workload", "Q", "QD", "IOPS", "p50 us", "p99 us", "alloc B/req");
            for (BlkBench.Result r : results) {
                double alloc = r.allocatedBytesPerRequest();
                out.printf(Locale.ROOT, "%-14s %-10s %2d %4d %12.0f %10.1f %10.1f %12s%n", r.target(), r.workload().name().toLowerCase(Locale.ROOT),
                        r.queues(), r.queueDepth(), r.iops(), r.p50Micros(), r.p99Micros(),
                        Double.isNaN(alloc) ? "-" : String.format(Locale.ROOT, "%.0f", alloc));
            }
            out.println("(latency: HdrHistogram, 3 significant digits; alloc B/req: heap bytes PVKit's back-end threads allocated "
                    + "per request, - for a back-end in another process)");
            if (compare) {
                out.println();
                out.println("ratio PVKit / qemu-storage-daemon (IOPS; p99 latency), same run, same backing:");
                for (BlkBench.Result p : results) {
                    if (!p.target().startsWith("pvkit/")) continue;
                    String backing = p.target().substring("pvkit/".length());
                    results.stream().filter(q -> q.target().equals("qsd/" + backing) && q.workload() == p.workload()
                            && q.queueDepth() == p.queueDepth() && q.queues() == p.queues()).findFirst().ifPresent(q ->
                            out.printf(Locale.ROOT, "  %-6s %-10s Q%d QD%-3d IOPS %.2f   p99 %.2f%n", backing,
                                    p.workload().name().toLowerCase(Locale.ROOT), p.queues(), p.queueDepth(), p.iops() / q.iops(),
                                    p.p99Micros() / q.p99Micros()));
                }
            }
            if (queues > 1) {
                out.println();
                out.println("scaling over one queue (IOPS with " + queues + " queues / IOPS with 1, same depth per queue):");
                for (BlkBench.Result m : results) {
                    if (m.queues() == 1) continue;
                    results.stream().filter(o -> o.queues() == 1 && o.target().equals(m.target()) && o.workload() == m.workload()
                            && o.queueDepth() == m.queueDepth()).findFirst().ifPresent(o ->
                            out.printf(Locale.ROOT, "  %-14s %-10s QD%-3d %.2f%n", m.target(),
                                    m.workload().name().toLowerCase(Locale.ROOT), m.queueDepth(), m.iops() / o.iops()));
                }
            }
            out.flush();
        }

        private static void createImage(Path image, long bytes) {
            try (FileBlockStore s = FileBlockStore.create(image, bytes)) {
                s.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create " + image, e);
            }
        }

    }
    @Command(name = "net", mixinStandardHelpOptions = true,
            description = "Frames per second reflected by PVKit's virtio-net back-end (a switch port and a MAC-swapping"
                    + " reflector) through PVKit's Java front-end, on one and on two queue pairs; with --compare also"
                    + " dpdk-testpmd's vhost back-end in macswap mode, and PVKit/DPDK ratios.")
    static final class Net implements Runnable {
        @Option(names = "--duration", defaultValue = "3s", converter = Sizes.Time.class, description = "per measurement (default ${DEFAULT-VALUE})")
        Duration each;

        @Option(names = "--frames", defaultValue = "64,1500", split = ",", description = "frame sizes in bytes (default ${DEFAULT-VALUE})")
        List<Integer> frames;

        @Option(names = "--queues", defaultValue = "1,2", split = ",", description = "queue pairs per measurement (default ${DEFAULT-VALUE})")
        List<Integer> queues;

        @Option(names = "--compare", description = "also measure dpdk-testpmd (Debian package dpdk-dev) in the same run and print ratios")
        boolean compare;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            for (int f : frames) if (f < 60 || f > 1514) throw new UserError("frame sizes must be 60..1514, got " + f);
            for (int q : queues) if (q < 1 || q > NetOptions.MAX_QUEUE_PAIRS) throw new UserError("queue pairs must be 1.." + NetOptions.MAX_QUEUE_PAIRS + ", got " + q);
            if (compare && !Files.isExecutable(Testpmd.BINARY)) throw new UserError("--compare needs " + Testpmd.BINARY + " (Debian package dpdk-dev)");
            PrintWriter out = spec.commandLine().getOut();
            List<NetBench.Result> pvkit = new ArrayList<>();
            List<NetBench.Result> dpdk = new ArrayList<>();
            Path dir = TempDirs.create("pvkit-bench-net", true);
            try {
                for (int q : queues) {
                    for (int f : frames) {
                        out.printf("pvkit: measuring pvkit %d-byte frames on %d queue pair(s) for %s ...%n", f, q, Sizes.human(each));
                        out.flush();
                        pvkit.add(pvkit(dir, q, f));
                        if (compare) {
                            out.printf("pvkit: measuring dpdk-testpmd %d-byte frames on %d queue pair(s) for %s ...%n", f, q, Sizes.human(each));
                            out.flush();
                            try (Testpmd t = Testpmd.backend(List.of(dir.resolve("dpdk.sock")), q, "macswap", 1)) {
                                dpdk.add(NetBench.run("dpdk-testpmd", dir.resolve("dpdk.sock"), q, f, each));
                            }
                        }
                    }
                }
            } finally {
                TempDirs.delete(dir);
            }
            out.println();
            out.printf("%-14s %6s %6s %14s %10s%n", "target", "pairs", "frame", "frames/s", "Gbit/s");
            for (List<NetBench.Result> rs : List.of(pvkit, dpdk)) {
                for (NetBench.Result r : rs) {
                    out.printf(Locale.ROOT, "%-14s %6d %6d %14.0f %10.3f%n", r.target(), r.queuePairs(), r.frameBytes(), r.framesPerSecond(), r.gbits());
                }
            }
            if (compare) {
                out.println();
                out.println("PVKit / dpdk-testpmd, same Java front-end, same run:");
                for (int i = 0; i < pvkit.size(); i++) {
                    double d = dpdk.get(i).framesPerSecond();
                    out.printf(Locale.ROOT, "  %d pair(s), %4d-byte frames: %s%n", pvkit.get(i).queuePairs(), pvkit.get(i).frameBytes(),
                            d > 0 ? String.format(Locale.ROOT, "%.2f", pvkit.get(i).framesPerSecond() / d) : "n/a (no frame came back from dpdk-testpmd)");
                }
            }
            out.flush();
        }

        private NetBench.Result pvkit(Path dir, int pairs, int frame) {
            Path socket = dir.resolve("pvkit-net.sock");
            EthernetSwitch sw = new EthernetSwitch();
            new MacSwapReflector(sw, NetBench.REFLECTOR_MAC);
            try (VirtioNetDevice device = new VirtioNetDevice("bench", sw, NetOptions.defaults().withPacked(false).withQueuePairs(pairs));
                 VhostUserBackend b = VhostUserBackend.serve(device, socket, VhostUserBackend.Options.defaults().withWorkers(2))) {
                return NetBench.run("pvkit", socket, pairs, frame, each);
            }
        }
    }
}

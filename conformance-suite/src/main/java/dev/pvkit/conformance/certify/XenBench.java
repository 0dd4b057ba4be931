package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.guest.XenRig;
import dev.pvkit.conformance.guest.XenRigImage;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code pvkit bench blk --xen}: the same domU workload (Linux's xen-blkfront, sequential O_DIRECT writes and reads in
 * 1 MiB and 4 KiB requests) against the kernel's xen-blkback on a loop device in dom0's RAM and against PVKit's
 * blkback on an in-memory disk in dom0's JVM, in the same rig images, alternating boots within one run. Each boot
 * gives one measurement per workload step; the ratios compare medians over the rounds.
 */
public final class XenBench {
    private static final Pattern LINE = Pattern.compile("DOMU-BENCH (\\S+) bytes=(\\d+) ms=(\\d+)");

    /** One workload step on one kind of back-end in one boot. */
    public record Measurement(XenRig.Backends backends, int round, String step, long bytes, long millis) {
        public double mibPerSecond() {
            return millis == 0 ? Double.NaN : bytes / 1048576.0 / (millis / 1000.0);
        }
    }

    private XenBench() {
    }

    /**
     * @param mib    MiB moved by each 1 MiB-request step (an eighth of it by each 4 KiB one)
     * @param rounds boots of each kind of back-end, alternating, the kernel's first
     */
    public static List<Measurement> run(int mib, int rounds, Duration timeout, Progress progress) throws InterruptedException {
        XenRigImage image = XenCertification.image(progress);
        List<Measurement> out = new ArrayList<>();
        Path dir = CertificationService.tempDir();
        boolean keep = false;
        try {
            for (int round = 1; round <= rounds; round++) {
                for (XenRig.Backends b : List.of(XenRig.Backends.KERNEL, XenRig.Backends.PVKIT)) {
                    String name = b.name().toLowerCase(java.util.Locale.ROOT);
                    progress.step("round " + round + " of " + rounds + ": " + (b == XenRig.Backends.KERNEL
                            ? "the kernel's xen-blkback" : "PVKit's blkback") + " serves xen-blkfront");
                    XenRig.Result r = XenRig.runOnceMoreAfterACrash(XenCertification.rig(image, dir.resolve(name + "-" + round),
                                    "pvkit.workload=bench pvkit.bench_mib=" + mib)
                            .withBackends(b).withTimeout(timeout).withDiskMiB(mib + 16), line -> { });
                    if (r.earlierCrash() != null) {
                        keep = true; // the crashed boot's logs, for whoever looks into it
                        progress.step("  booted a second time after " + r.earlierCrash().what() + " in the first (its logs are in "
                                + r.earlierCrash().runDirectory() + ")");
                    }
                    if (r.machineCrash() != null && !r.needsAnotherBoot()) {
                        progress.step("  " + r.machineCrash() + ", in a run whose workload passed: its numbers are kept");
                    }
                    List<Measurement> got = parse(b, round, r.domU());
                    if (r.failure() != null || got.size() < 4 || !"PASS".equals(r.outcome("blk"))) {
                        keep = true;
                        throw new SetupException("the " + name + " back-end's boot did not finish its workload: "
                                + (r.failure() != null ? r.failure() : "blk=" + r.outcome("blk") + ", " + got.size() + " measurements")
                                + "; its logs are kept in " + r.runDirectory() + "\n" + r.diagnosis());
                    }
                    for (Measurement m : got) progress.step(String.format("  %-9s %7.1f MiB/s", m.step(), m.mibPerSecond()));
                    out.addAll(got);
                }
            }
        } catch (IOException e) {
            throw new SetupException("cannot run the Xen rig: " + e.getMessage(), e);
        } finally {
            if (!keep) CertificationService.deleteQuietly(dir);
        }
        return out;
    }

    static List<Measurement> parse(XenRig.Backends b, int round, List<String> domU) {
        List<Measurement> out = new ArrayList<>();
        for (String l : domU) {
            Matcher m = LINE.matcher(l);
            if (m.find()) out.add(new Measurement(b, round, m.group(1), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))));
        }
        return out;
    }

    /** The median MiB/s of {@code step} on {@code b} over the rounds. */
    public static double median(List<Measurement> all, XenRig.Backends b, String step) {
        double[] v = all.stream().filter(m -> m.backends() == b && m.step().equals(step)).mapToDouble(Measurement::mibPerSecond).sorted().toArray();
        if (v.length == 0) return Double.NaN;
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}

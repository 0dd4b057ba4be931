package dev.pvkit.sdk.bench;

import org.openjdk.jmh.infra.Blackhole;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@link RingBenchmark}'s ratio, chains per second over the copy baseline's, measured inside one JVM.
 *
 * <p>Why not JMH's own numbers: JMH runs {@code chains} and {@code baselineCopy} in forks of their own. On a
 * shared 2-core machine the copy baseline alone moves by ±25 % from one fork to the next of the same build
 * (where the payload array lands against a cache line, the host's load, the clock), which is more than the
 * distance between a ratio and a bar of 1/3. Here one JVM runs both of {@code RingBenchmark}'s methods, on
 * one state, in alternating slices; each ratio is taken between two neighbouring slices, so whatever the fork
 * or the minute does to one side it does to the other. Each configuration still gets JVMs of its own (as JMH
 * forks do), so that one format's code does not shape the other's compilation.
 *
 * <p>Run: {@code mvn -pl sdk -am -Pbench verify -DskipTests -Djmh.skip} (or after JMH, without
 * {@code -Djmh.skip}). Arguments: {@code [--forks N] [--pairs N] [--slice-ms N] [--touch true|false|both]}.
 * Prints one row per configuration: the median over forks of each fork's median ratio, the range of those
 * fork medians, and the median rates behind them.
 */
public final class RingRatio {

    private static final String CHILD = "--child";

    private RingRatio() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals(CHILD)) {
            runChild(args);
            return;
        }
        Settings settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("RingRatio: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.out.printf("RingRatio: %d fork(s) per configuration, %d pairs of %d ms slices after %d warm-up pairs%n",
                settings.forks, settings.pairs, settings.sliceMillis, settings.warmupPairs);
        System.out.println("format  descr touchData  ratio  fork-range        chains/s   baseline/s");
        for (boolean touch : settings.touch) {
            for (String format : List.of("split", "packed")) {
                for (int descriptors : new int[] {1, 3}) {
                    List<ForkResult> forks = new ArrayList<>();
                    for (int f = 0; f < settings.forks; f++) {
                        forks.add(fork(settings, format, descriptors, touch));
                    }
                    System.out.println(Row.of(format, descriptors, touch, forks));
                }
            }
        }
    }

    /** One JVM for one configuration, as a JMH fork; its last line of output is its result. */
    private static ForkResult fork(Settings settings, String format, int descriptors, boolean touch)
            throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, RingBenchmark.HEAP_MIN, RingBenchmark.HEAP_MAX, RingBenchmark.HEAP_PRETOUCH,
                "-cp", System.getProperty("java.class.path"), RingRatio.class.getName(),
                CHILD, format, Integer.toString(descriptors), Boolean.toString(touch),
                Integer.toString(settings.warmupPairs), Integer.toString(settings.pairs),
                Integer.toString(settings.sliceMillis));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String last = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) last = line;
        }
        int status = process.waitFor();
        if (status != 0 || last == null) {
            throw new IllegalStateException("fork " + format + "/" + descriptors + " exited " + status + ": " + last);
        }
        return ForkResult.parse(last);
    }

    private static void runChild(String[] args) {
        RingBenchmark bench = new RingBenchmark();
        bench.format = args[1];
        bench.descriptors = Integer.parseInt(args[2]);
        bench.touchData = Boolean.parseBoolean(args[3]);
        int warmupPairs = Integer.parseInt(args[4]);
        int pairs = Integer.parseInt(args[5]);
        long sliceNanos = Long.parseLong(args[6]) * 1_000_000L;
        Blackhole bh = new Blackhole(
                "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");
        bench.setUp();
        try {
            for (int i = 0; i < warmupPairs; i++) {
                perSecond(CHAINS, bench, bh, sliceNanos);
                perSecond(BASELINE, bench, bh, sliceNanos);
            }
            double[] ratios = new double[pairs];
            double[] chains = new double[pairs];
            double[] baseline = new double[pairs];
            for (int i = 0; i < pairs; i++) {
                // Alternate which side goes first, so that neither always follows the other's cache footprint.
                if ((i & 1) == 0) {
                    chains[i] = perSecond(CHAINS, bench, bh, sliceNanos);
                    baseline[i] = perSecond(BASELINE, bench, bh, sliceNanos);
                } else {
                    baseline[i] = perSecond(BASELINE, bench, bh, sliceNanos);
                    chains[i] = perSecond(CHAINS, bench, bh, sliceNanos);
                }
                ratios[i] = chains[i] / baseline[i];
            }
            System.out.println(new ForkResult(median(ratios), median(chains), median(baseline)).format());
        } finally {
            bench.tearDown();
        }
    }

    /** One side of a pair: 16 invocations of one of RingBenchmark's methods. */
    @FunctionalInterface
    private interface Side {
        void run16(RingBenchmark bench, Blackhole bh);
    }

    private static final Side CHAINS = (bench, bh) -> {
        for (int i = 0; i < 16; i++) bench.chains(bh);
    };
    private static final Side BASELINE = (bench, bh) -> {
        for (int i = 0; i < 16; i++) bench.baselineCopy(bh);
    };

    /** Chains (or their copies) per second over one slice; the clock is read once per 16 invocations. */
    private static double perSecond(Side side, RingBenchmark bench, Blackhole bh, long sliceNanos) {
        long start = System.nanoTime();
        long deadline = start + sliceNanos;
        long invocations = 0;
        long now;
        do {
            side.run16(bench, bh);
            invocations += 16;
        } while ((now = System.nanoTime()) < deadline);
        return invocations * RingBenchmark.BATCH * 1e9 / (now - start);
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** One fork's medians over its pairs. */
    record ForkResult(double ratio, double chainsPerSecond, double baselinePerSecond) {
        String format() {
            return String.format(Locale.ROOT, "result %.6f %.1f %.1f", ratio, chainsPerSecond, baselinePerSecond);
        }

        static ForkResult parse(String line) {
            String[] f = line.trim().split(" ");
            if (f.length != 4 || !f[0].equals("result")) throw new IllegalStateException("not a result: " + line);
            return new ForkResult(Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]));
        }
    }

    /** A configuration's line: medians over its forks, and the spread of the forks' ratios. */
    record Row(String format, int descriptors, boolean touch, double ratio, double lowest, double highest,
               double chains, double baseline) {
        static Row of(String format, int descriptors, boolean touch, List<ForkResult> forks) {
            double[] ratios = forks.stream().mapToDouble(ForkResult::ratio).toArray();
            return new Row(format, descriptors, touch, median(ratios),
                    Arrays.stream(ratios).min().orElseThrow(), Arrays.stream(ratios).max().orElseThrow(),
                    median(forks.stream().mapToDouble(ForkResult::chainsPerSecond).toArray()),
                    median(forks.stream().mapToDouble(ForkResult::baselinePerSecond).toArray()));
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%-7s %5d %9s  %.3f  %.3f-%.3f  %10.2fM  %10.2fM",
                    format, descriptors, touch, ratio, lowest, highest, chains / 1e6, baseline / 1e6);
        }
    }

    /** Command-line settings of the parent. */
    record Settings(int forks, int pairs, int warmupPairs, int sliceMillis, List<Boolean> touch) {
        static Settings parse(String[] args) {
            int forks = 5;
            int pairs = 25;
            int sliceMillis = 200;
            List<Boolean> touch = List.of(true);
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : "";
                switch (args[i]) {
                    case "--forks" -> forks = positive(args[i], value);
                    case "--pairs" -> pairs = positive(args[i], value);
                    case "--slice-ms" -> sliceMillis = positive(args[i], value);
                    case "--touch" -> touch = switch (value) {
                        case "true" -> List.of(true);
                        case "false" -> List.of(false);
                        case "both" -> List.of(false, true);
                        default -> throw new IllegalArgumentException("--touch takes true, false or both, not '"
                                + value + "'");
                    };
                    default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
                }
                i++;
            }
            // Three seconds of alternating warm-up at any slice length: enough for C2 to settle both methods.
            return new Settings(forks, pairs, Math.max(1, 1500 / sliceMillis), sliceMillis, touch);
        }

        private static int positive(String option, String value) {
            try {
                int n = Integer.parseInt(value);
                if (n > 0) return n;
            } catch (NumberFormatException e) {
                // fall through to the one message below
            }
            throw new IllegalArgumentException(option + " takes a positive number, not '" + value + "'");
        }
    }
}

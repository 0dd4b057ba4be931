package dev.pvkit.conformance.guest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The live Xen rig: one QEMU (TCG: Xen under KVM needs nested virtualisation, which the machines PVKit runs on do not
 * give) booting Xen 4.17 with a PV dom0, which creates a PV domU running Linux's own xen-blkfront and xen-netfront and
 * the workload. The back-ends are PVKit's, in the host's JVM started inside dom0 from the host's disk (a read-only 9p
 * share of /), or the kernel's own xen-blkback and xen-netback for side-by-side numbers. The run directory is shared
 * writable: dom0 reads {@code rig.env} from it and leaves the results there ({@link Result}). QEMU is bounded by
 * {@link Options#timeout()} and killed with everything it started whatever happens.
 */
public final class XenRig {
    /** The serial console's prefix of dom0's steps. */
    static final String STEP = "PVKIT-RIG ";
    /** The domU's workload lines (in {@code domu-console.log}). */
    public static final String DOMU = "DOMU-";
    /** A guest kernel's line about a user process it killed for a fault (what the workload's DOMU-FAULT lines repeat). */
    static final java.util.regex.Pattern KERNEL_FAULT =
            java.util.regex.Pattern.compile("\\]: segfault at |\\] traps: ");

    public enum Backends { PVKIT, KERNEL }

    /**
     * Every feature TCG emulates but XSAVE, AVX and its VEX-encoded kin, and FSGSBASE: none of Xen, dom0, the domU's
     * drivers or the JVM in dom0 needs them.
     *
     * <p>XSAVE is the one that mattered. With it offered, processes in both guests now and then read garbage through
     * their thread pointer soon after they started: busybox died at {@code 4a4d02}, loading through a TLS word that
     * held 0, {@code 0x100000000}, {@code 0xffffffff00000000} or some user-space address, and glibc's malloc read a
     * per-thread arena pointer as 0. Beside a process burning one host CPU, each of 4 boots on
     * 2026-12-06 had two or three such faults (twice with the CPU as it was, once each with {@code -svm} and with a
     * dom0 of one vCPU; earlier, {@code thread=single} and {@code -pcid,-invpcid} did not help either). Without XSAVE,
     * 2 boots under the same load had none, nor did 3 with QEMU's plainest model {@code qemu64} (no XSAVE either).
     * Xen then switches the guests' FPU and SSE registers with FXSAVE/FXRSTOR instead, so the suspect is TCG's
     * emulation of XSAVE or one of its variants on that path; which one is not pinned down.
     *
     * <p>QEMU 7.2 (Debian 12's) is the first release whose TCG emulates AVX and AVX2; with them offered, dom0's JVM
     * once died in its C1 compiler, which found a call it had just emitted no longer decoding as one
     * (relocInfo_x86.cpp ShouldNotReachHere). AVX needs XSAVE in any case. FSGSBASE lets a PV guest switch its FS
     * base without Xen (what XSA-293 was about) and is left out as the newest emulation on the path that failed.
     */
    static final String CPU = "max,-avx,-avx2,-fma,-f16c,-vaes,-vpclmulqdq,-fsgsbase,-xsave";

    /**
     * @param mainClass the class dom0's JVM runs with arguments {@code <domU id> <run directory>} (PVKit back-ends only):
     *                  it writes {@code ready} once it serves, and stops when {@code stop} appears
     * @param classpath the host's class path entries it needs (shared with dom0 at the same paths under /host)
     */
    public record Options(XenRigImage image, Backends backends, Path runDirectory, Duration timeout, String mainClass,
                          List<Path> classpath, int domUVcpus, int domUMemoryMiB, String domUArgs, int diskMiB,
                          Duration domUWait) {
        public Options {
            Objects.requireNonNull(image);
            Objects.requireNonNull(backends);
            Objects.requireNonNull(runDirectory);
            classpath = List.copyOf(classpath);
            if (domUVcpus < 1 || domUVcpus > 2) throw new IllegalArgumentException("the domU gets 1 or 2 vCPUs");
        }

        public static Options pvkit(XenRigImage image, Path runDirectory, String mainClass, List<Path> classpath) {
            return new Options(image, Backends.PVKIT, runDirectory, Duration.ofMinutes(5), mainClass, classpath, 2, 256, "",
                    16, Duration.ofSeconds(150));
        }

        public Options withTimeout(Duration t) {
            return new Options(image, backends, runDirectory, t, mainClass, classpath, domUVcpus, domUMemoryMiB, domUArgs, diskMiB, domUWait);
        }

        public Options withBackends(Backends b) {
            return new Options(image, b, runDirectory, timeout, mainClass, classpath, domUVcpus, domUMemoryMiB, domUArgs, diskMiB, domUWait);
        }

        public Options withDomU(int vcpus, String args) {
            return new Options(image, backends, runDirectory, timeout, mainClass, classpath, vcpus, domUMemoryMiB, args, diskMiB, domUWait);
        }

        public Options withRunDirectory(Path dir) {
            return new Options(image, backends, dir, timeout, mainClass, classpath, domUVcpus, domUMemoryMiB, domUArgs, diskMiB, domUWait);
        }

        public Options withDiskMiB(int mib) {
            return new Options(image, backends, runDirectory, timeout, mainClass, classpath, domUVcpus, domUMemoryMiB, domUArgs, mib, domUWait);
        }
    }

    /**
     * How a rig run ended.
     *
     * @param ranToEnd   dom0 went through every step and stopped QEMU itself
     * @param failure    dom0's reason when a step failed, QEMU's end otherwise when it did not run to its end, else null
     * @param domU       the domU's workload lines ({@code DOMU-…}), in order
     */
    public record Result(boolean ranToEnd, String failure, List<String> domU, Path runDirectory, Path serialLog,
                         double seconds, Crash earlierCrash) {
        /**
         * What went wrong inside the emulated machine itself, or null: {@link #fatalCrash()}, else a process in dom0 or
         * the domU killed by a fault (the domU's {@code DOMU-FAULT} lines, dom0's {@code dom0-fault} steps: the
         * kernel's own words, or the workload finding its fixed pattern wrong). Either is the rig's, not a driver's.
         */
        public String machineCrash() {
            String fatal = fatalCrash();
            if (fatal != null) return fatal;
            String fault = firstLine(runDirectory.resolve("domu-console.log"), DOMU + "FAULT ");
            if (fault != null) return "a process in the domU died: " + after(fault, DOMU + "FAULT ");
            // The domU's kernel says so on its console too (loglevel 7), also when the process that died was the
            // workload itself, which then never reports.
            fault = firstMatch(runDirectory.resolve("domu-console.log"), KERNEL_FAULT);
            if (fault != null) return "a process in the domU died: " + fault.replaceFirst("^\\[[ 0-9.]+\\] ", "").trim();
            fault = firstLine(serialLog, STEP + "dom0-fault ");
            if (fault != null) return "a process in dom0 died: " + after(fault, " dom0-uptime=").replaceFirst("^\\S+ ", "");
            return null;
        }

        /** dom0's JVM crashed (it left a crash log) or a guest kernel panicked (the domU's console, Xen's serial line); else null. */
        public String fatalCrash() {
            if (Files.isRegularFile(runDirectory.resolve("hs_err.log"))) return "dom0's JVM crashed";
            for (Path f : List.of(runDirectory.resolve("domu-console.log"), serialLog)) {
                String panic = firstLine(f, "Kernel panic");
                if (panic != null) return (f == serialLog ? "dom0's" : "the domU's") + " kernel panicked: " + panic.trim();
            }
            return null;
        }

        /** dom0 went through every step and the domU's workload ended with its disk and its network passed. */
        public boolean workloadPassed() {
            return ranToEnd && failure == null && "PASS".equals(outcome("blk")) && "PASS".equals(outcome("net"));
        }

        /**
         * Whether this run can tell nothing and the rig should boot again: a {@link #fatalCrash()}, or a process that
         * died in a run whose workload did not pass. Under TCG dom0's busybox tools die now and then (a CI run saw two
         * in one boot, in the loop that polls the domU's console): in a run whose workload passed that is reported,
         * not a reason to boot again.
         */
        public boolean needsAnotherBoot() {
            return fatalCrash() != null || (!workloadPassed() && machineCrash() != null);
        }

        private static String after(String line, String marker) {
            return line.substring(line.indexOf(marker) + marker.length()).trim();
        }

        private static String firstMatch(Path f, java.util.regex.Pattern pattern) {
            return firstLine(f, l -> pattern.matcher(l).find());
        }

        private static String firstLine(Path f, String containing) {
            return firstLine(f, l -> l.contains(containing));
        }

        private static String firstLine(Path f, java.util.function.Predicate<String> wanted) {
            if (f == null || !Files.isRegularFile(f)) return null;
            try (var lines = Files.lines(f, StandardCharsets.ISO_8859_1)) {
                return lines.filter(wanted).findFirst().orElse(null);
            } catch (IOException | java.io.UncheckedIOException e) {
                return null;
            }
        }

        Result after(Crash crash) {
            return new Result(ranToEnd, failure, domU, runDirectory, serialLog, seconds, crash);
        }

        /** The last {@code DOMU-DONE} line's value of {@code key} ("blk", "net"), or null. */
        public String outcome(String key) {
            for (int i = domU.size() - 1; i >= 0; i--) {
                String l = domU.get(i);
                if (!l.startsWith("DOMU-DONE")) continue;
                for (String w : l.split("\\s+")) if (w.startsWith(key + "=")) return w.substring(key.length() + 1);
            }
            return null;
        }

        /**
         * What to read when a run went wrong: the last lines of dom0's steps, the domU's console and dom0's JVM, and
         * whether that JVM left a crash log; all of it stays in {@link #runDirectory()}.
         */
        public String diagnosis() {
            StringBuilder b = new StringBuilder();
            tail(b, "Xen's serial console (dom0's steps)", serialLog, 6);
            tail(b, "the domU's console", runDirectory.resolve("domu-console.log"), 8);
            tail(b, "dom0's JVM", runDirectory.resolve("dom0-jvm.log"), 8);
            Path crash = runDirectory.resolve("hs_err.log");
            if (Files.isRegularFile(crash)) tail(b, "dom0's JVM crashed", crash, 12);
            return b.toString();
        }

        private static void tail(StringBuilder b, String what, Path f, int lines) {
            if (f == null || !Files.isRegularFile(f)) return;
            try {
                List<String> all = Files.readAllLines(f, StandardCharsets.ISO_8859_1);
                b.append("  ").append(what).append(" (").append(f.getFileName()).append("):\n");
                for (String l : all.subList(Math.max(0, all.size() - lines), all.size())) b.append("    ").append(l).append('\n');
            } catch (IOException e) {
                b.append("  ").append(what).append(": unreadable (").append(e.getMessage()).append(")\n");
            }
        }
    }

    /** A run the emulated machine crashed in: what crashed, and where that run's logs are. */
    public record Crash(String what, Path runDirectory) {
    }

    private XenRig() {
    }

    /**
     * {@link #run}, and once more in a fresh run directory ({@code <run directory>-again}) when the emulated machine
     * itself failed the run ({@link Result#needsAnotherBoot()}); the second run's result names the first one's crash,
     * whose logs stay where they are. Under TCG processes in dom0 and the domU die now and then (rarely on a quiet host,
     * often on a busy one; a wrong TLS base is suspected, not shown): a second boot keeps that from deciding a
     * certification or a benchmark, and the crash is reported, never hidden.
     */
    public static Result runOnceMoreAfterACrash(Options o, Consumer<String> progress) throws IOException, InterruptedException {
        Result first = run(o, progress);
        if (!first.needsAnotherBoot()) return first;
        String crash = first.machineCrash();
        progress.accept("the emulated machine crashed (" + crash + "; its logs are in " + first.runDirectory()
                + "): booting the rig once more");
        Path again = o.runDirectory().resolveSibling(o.runDirectory().getFileName() + "-again");
        return run(o.withRunDirectory(again), progress).after(new Crash(crash, first.runDirectory()));
    }

    public static Result run(Options o, Consumer<String> progress) throws IOException, InterruptedException {
        Path run = o.runDirectory().toAbsolutePath();
        Files.createDirectories(run);
        Files.writeString(run.resolve("rig.env"), environment(o), StandardCharsets.UTF_8);
        Path serial = run.resolve("serial.log");
        Files.deleteIfExists(serial);
        Files.createFile(serial);
        List<String> cmd = command(o, run, serial);
        Files.writeString(run.resolve("qemu-command.txt"), String.join(" ", cmd) + "\n");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(run.resolve("qemu.out").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        ProcessReaper.register(p.toHandle());
        boolean exited;
        java.util.function.Consumer<String> timed = step -> progress.accept(
                String.format("[%5.1f s] %s", (System.nanoTime() - t0) / 1e9, step));
        try (ConsoleSteps steps = new ConsoleSteps(serial, STEP)) {
            long deadline = t0 + o.timeout().toNanos();
            exited = false;
            while (!exited && System.nanoTime() < deadline) {
                exited = p.waitFor(250, java.util.concurrent.TimeUnit.MILLISECONDS);
                steps.drain(timed);
            }
            steps.finish(timed);
        } finally {
            ProcessReaper.killTree(p.toHandle());
            ProcessReaper.unregister(p.toHandle());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<String> domU = Files.isRegularFile(run.resolve("domu-console.log"))
                ? Files.readAllLines(run.resolve("domu-console.log"), StandardCharsets.ISO_8859_1).stream()
                .map(l -> l.contains(DOMU) ? l.substring(l.indexOf(DOMU)) : null).filter(Objects::nonNull).toList()
                : List.of();
        // isa-debug-exit: QEMU exits with (value << 1) | 1; dom0 writes 0 after its last step, 1 when a step failed.
        Integer code = exited ? p.exitValue() : null;
        String failure = null;
        if (Files.isRegularFile(run.resolve("failure"))) failure = Files.readString(run.resolve("failure"), StandardCharsets.ISO_8859_1).trim();
        else if (code == null) failure = "the rig did not finish within " + o.timeout().toSeconds() + " s (last step: " + lastStep(serial) + ")";
        else if (code != 1) failure = "QEMU ended with exit code " + code + " (last step: " + lastStep(serial) + ")";
        return new Result(code != null && code == 1, failure, domU, run, serial, seconds, null);
    }

    static List<String> command(Options o, Path run, Path serial) throws IOException {
        // The dom0 kernel's command line follows its file name in QEMU's multiboot module list; it may hold no comma.
        String dom0 = o.image().dom0Kernel() + " console=hvc0 earlyprintk=xen loglevel=4";
        List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-accel", "tcg", "-cpu", CPU, "-smp", "2", "-m", "3072",
                "-display", "none", "-monitor", "none", "-nic", "none", "-no-reboot",
                "-chardev", "file,id=ser0,path=" + serial, "-serial", "chardev:ser0",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-virtfs", "local,path=/,mount_tag=hostfs,security_model=none,readonly=on,multidevs=remap",
                "-virtfs", "local,path=" + run + ",mount_tag=pvkitrun,security_model=none",
                "-kernel", o.image().xen().toString(),
                // smap=0: without it dom0 dies at its first exception bounce under TCG (FACTS.md).
                "-append", "console=com1 com1=115200,8n1 dom0_mem=1536M,max:1536M dom0_max_vcpus=2 bootscrub=0 noreboot smap=0",
                "-initrd", dom0 + "," + o.image().dom0Initrd()));
        for (String s : List.of(o.image().dom0Kernel().toString(), o.image().dom0Initrd().toString(), run.toString())) {
            if (s.contains(",")) throw new IOException("a rig path may hold no comma (QEMU splits its arguments on them): " + s);
        }
        return cmd;
    }

    /** What dom0's /init reads: host paths as dom0 sees them (under /host), and the domU's shape. */
    static String environment(Options o) throws IOException {
        StringBuilder cp = new StringBuilder();
        for (Path p : o.classpath()) cp.append(cp.length() == 0 ? "" : ":").append("/host").append(p.toRealPath());
        Path javaHome = Path.of(System.getProperty("java.home")).toRealPath();
        StringBuilder env = new StringBuilder();
        env.append("RIG_BACKENDS=").append(o.backends().name().toLowerCase(java.util.Locale.ROOT)).append('\n');
        env.append("JAVA_HOME=/host").append(javaHome).append('\n');
        // A short-lived JVM under TCG: C1 only, one GC thread, no CDS archive mapping surprises.
        env.append("JAVA_OPTS=\"-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -XX:-UsePerfData -Xmx384m"
                + " -XX:ErrorFile=/tmp/hs_err.log\"\n");
        env.append("CLASSPATH=\"").append(cp).append("\"\n");
        env.append("MAIN=").append(o.mainClass() == null ? "" : o.mainClass()).append('\n');
        env.append("DOMU_KERNEL=/host").append(o.image().domUKernel().toRealPath()).append('\n');
        env.append("DOMU_INITRD=/host").append(o.image().domUInitrd().toRealPath()).append('\n');
        env.append("DOMU_VCPUS=").append(o.domUVcpus()).append('\n');
        env.append("DOMU_MEMORY=").append(o.domUMemoryMiB()).append('\n');
        env.append("DOMU_ARGS=\"").append(o.domUArgs().replace("\"", "")).append("\"\n");
        env.append("DOMU_WAIT=").append(o.domUWait().toSeconds()).append('\n');
        env.append("DISK_MIB=").append(o.diskMiB()).append('\n');
        return env.toString();
    }

    private static String lastStep(Path serial) throws IOException {
        String last = "none";
        for (String l : Files.readAllLines(serial, StandardCharsets.ISO_8859_1)) {
            int at = l.indexOf(STEP);
            if (at >= 0) last = l.substring(at + STEP.length()).trim();
        }
        return last;
    }
}

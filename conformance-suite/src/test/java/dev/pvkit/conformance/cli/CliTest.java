package dev.pvkit.conformance.cli;

import dev.pvkit.conformance.guest.QemuCommandLine;
import dev.pvkit.conformance.live.LiveSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The pvkit command as a user meets it: clear one-line errors with exit code 2, and the benchmark's output. */
class CliTest {

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Pvkit.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void badOptionsGiveOneClearLineAndExitCode2() {
        Run r = run("backend", "blk", "--socket");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().lines().findFirst().orElse("")).startsWith("pvkit: ").contains("--socket");
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");

        Run unknown = run("frobnicate");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).startsWith("pvkit: Unmatched argument");
    }

    /** QEMU asks for one queue per vCPU by default: the default offers at least a few, and --queues still decides. */
    @Test
    void backendQueuesDefaultToTheHostsCpusWithinBounds() {
        BackendCommand.Blk blk = new BackendCommand.Blk();
        new CommandLine(blk).parseArgs("--socket", "s.sock", "--image", "disk.img");
        int cpus = Runtime.getRuntime().availableProcessors();
        assertThat(blk.queues()).isEqualTo(Math.max(8, Math.min(cpus, 64)));
        new CommandLine(blk).parseArgs("--socket", "s.sock", "--image", "disk.img", "--queues", "1");
        assertThat(blk.queues()).isEqualTo(1);
    }

    @Test
    void missingFilesAndBadValuesAreUserErrors() {
        Run missing = run("backend", "blk", "--socket", dir.resolve("s.sock").toString(), "--image", dir.resolve("nope.img").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).isEqualTo("pvkit: image " + dir.resolve("nope.img") + " does not exist (give --size to create it)\n");

        Run size = run("bench", "blk", "--size", "lots");
        assertThat(size.exit()).isEqualTo(2);
        assertThat(size.err()).isEqualTo("pvkit: Invalid value for option '--size': 'lots' is not a size (examples: 4096, "
                + "256M, 4G) (see 'pvkit bench blk --help')\n");
        assertUserError(run("guest", "run", "--timeout", "soon"), "pvkit: Invalid value for option '--timeout': 'soon' is not "
                + "a duration (examples: 5s, 500ms, 1m, 64us) (see 'pvkit guest run --help')");
        assertUserError(run("guest", "run", "--accel", "hvf"), "pvkit: Invalid value for option '--accel': expected one of "
                + "[AUTO, KVM, TCG] (case-insensitive) but was 'hvf' (see 'pvkit guest run --help')");

        Run both = run("backend", "blk", "--socket", dir.resolve("s.sock").toString(), "--image", "x", "--size", "1M", "--packed", "--split");
        assertUserError(both, "pvkit: Error: --packed, --split are mutually exclusive (specify only one) (see 'pvkit backend blk --help')");

        Run threads = run("backend", "blk", "--socket", dir.resolve("s.sock").toString(), "--image", dir.resolve("t.img").toString(),
                "--size", "1M", "--io-threads", "999");
        assertUserError(threads, "pvkit: --io-threads must be 0..256, got 999");
        Run poll = run("backend", "blk", "--socket", dir.resolve("s.sock").toString(), "--image", dir.resolve("t.img").toString(),
                "--size", "1M", "--poll-max", "2ms");
        assertUserError(poll, "pvkit: --poll-max must be at most 1ms, got 2ms");
    }

    @Test
    void backendNetRefusesBadValuesInOneLine() {
        String sock = dir.resolve("n.sock").toString();
        assertUserError(run("backend", "net", "--socket", sock, "--responder", "10.0.2.2"),
                "pvkit: --responder must be ADDR/PREFIX (e.g. 10.0.2.2/24) or none, got 10.0.2.2");
        assertUserError(run("backend", "net", "--socket", sock, "--responder", "10.0.2.2/31"), "pvkit: --responder prefix must be 8..30, got 31");
        assertUserError(run("backend", "net", "--socket", sock, "--responder", "10.0.2.300/24"), "pvkit: --responder: not an IPv4 address: 10.0.2.300");
        assertUserError(run("backend", "net", "--socket", sock, "--mtu", "40"), "pvkit: --mtu must be 68..9216, got 40");
        assertUserError(run("backend", "net", "--socket", sock, "--socket", sock), "pvkit: a --socket is given twice");
        assertUserError(run("backend", "net", "--socket", sock, "--queue-pairs", "9"), "pvkit: --queue-pairs must be 1..8, got 9");
        assertUserError(run("backend", "net", "--socket", sock, "--tap", "eth0; rm"),
                "pvkit: --tap must be an interface name of 1..15 letters, digits, _ . -, got eth0; rm");
    }

    @Test
    void guestRunRefusesBadDisksAndTemplatesInOneLine() throws Exception {
        Path missing = dir.resolve("missing.img");
        assertUserError(run("guest", "run", "--disk", missing.toString()), "pvkit: disk " + missing + " does not exist");
        assertUserError(run("guest", "run", "--disk", dir.toString()), "pvkit: disk " + dir + " is not a regular file");
        Path tiny = Files.write(dir.resolve("tiny.img"), new byte[511]);
        assertUserError(run("guest", "run", "--disk", tiny.toString()), "pvkit: disk " + tiny + " is smaller than one 512-byte sector");
        Path ok = Files.write(dir.resolve("ok.img"), new byte[4096]);
        assertUserError(run("guest", "run", "--disk", ok.toString(), "--size", "8M"),
                "pvkit: Error: --size=<size>, --disk=FILE are mutually exclusive (specify only one) (see 'pvkit guest run --help')");

        assertUserError(run("guest", "run", "--qemu-template", " "), "pvkit: --qemu-template is empty");
        assertUserError(run("guest", "run", "--qemu-template", "-append \"quiet @AGENT@ @DEVICES@"),
                "pvkit: --qemu-template: an unbalanced quote (quote a whole argument with spaces, as \"file=/a b.img,format=raw\" or 'a b')");
        assertUserError(run("guest", "run", "--qemu-template", "-m @MEMORY@ @AGENT@"),
                "pvkit: --qemu-template must contain @DEVICES@ as a whole argument (the PVKit disk)");
        assertUserError(run("guest", "run", "--qemu-template", "-m @MEMORY@ -serial file:@CONSOLE_LOG@,x @DEVICES@"),
                "pvkit: --qemu-template must contain @AGENT@ as a whole argument (the agent channel)");
        // A value starting with '@' stays a value (picocli's @argument-files do not swallow it).
        Run typo = run("guest", "run", "--qemu-template", "@AGENT@ @DEVICES@ -m @MEMROY@ -kernel @KERNEL");
        assertThat(typo.exit()).as(typo.err()).isEqualTo(2);
        assertThat(typo.err()).startsWith("pvkit: --qemu-template: unknown placeholder @MEMROY@ (known: @ACCEL@ ");
        assertThat(typo.err().lines()).hasSize(1);
    }

    private static void assertUserError(Run r, String line) {
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.err()).isEqualTo(line + "\n");
    }

    /** The plan a plain {@code pvkit bench blk} measures: 4 KiB random read and write at QD 1 and 32. */
    @Test
    void benchDefaultsAreQueueDepths1And32() {
        BenchCommand.Blk blk = new BenchCommand.Blk();
        new CommandLine(blk).parseArgs();
        assertThat(blk.depths).containsExactly(1, 32);
        assertThat(blk.each).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(blk.bytes).isEqualTo(256L << 20);
        assertThat(blk.compare).isFalse();
        assertThat(blk.queues).isEqualTo(2);

        // The default depths, run briefly (QD 32 for 100 ms is quick), and the two-queue row after each workload's.
        Run r = run("bench", "blk", "--duration", "100ms", "--size", "4M");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines().filter(l -> l.startsWith("pvkit/tmpfs "))
                .map(l -> l.trim().split("\\s+")[1] + " Q" + l.trim().split("\\s+")[2] + " QD" + l.trim().split("\\s+")[3]))
                .containsExactly("randread Q1 QD1", "randread Q1 QD32", "randread Q2 QD32",
                        "randwrite Q1 QD1", "randwrite Q1 QD32", "randwrite Q2 QD32");
        assertThat(r.out()).contains("scaling over one queue");
        assertThat(r.out().lines().filter(l -> l.matches("\\s+pvkit/tmpfs\\s+rand(read|write)\\s+QD32\\s+[\\d.]+"))).hasSize(2);
    }

    /**
     * {@code guest run --disk} on a user's image: served read-only, checked by reads only, the file unchanged;
     * with {@code --qemu-template} replacing QEMU's arguments (the default template plus a marker argument).
     */
    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void guestRunOnAUserDiskWithAUserTemplate() throws Exception {
        byte[] content = new byte[8 << 20];
        new Random(5).nextBytes(content);
        Path image = Files.write(dir.resolve("user.img"), content);
        String template = String.join(" ", QemuCommandLine.DEFAULT_TEMPLATE) + " -name pvkit-cli-template";
        Run r = runShowing("guest", "run", "--disk", image.toString(), "--accel", "tcg", "--timeout", "240s",
                "--qemu-template", template);
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("read-only").contains("result:  PASS")
                .containsPattern("18 reads .* nothing written: 18/18 match");
        assertThat(Files.readAllBytes(image)).as("the user's image is unchanged").isEqualTo(content);
        assertThat(r.out()).as("QEMU ran the user's template")
                .containsPattern("qemu: +qemu-system-x86_64 .*-name pvkit-cli-template");
        LiveSupport.assertNoQemuLeft("pvkit-cli-template");
    }

    /** {@code guest run --net}: the guest also gets a PVKit virtio-net port and pings the responder through it. */
    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void guestRunWithANetworkPort() throws Exception {
        Run r = runShowing("guest", "run", "--net", "--accel", "tcg", "--timeout", "240s");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("result:  PASS")
                .containsPattern("network: virtio-net \\(virtio_net, split ring, mergeable buffers on\\), 5 pings to the responder, 5 answered;.* header findings none")
                .containsPattern("qemu: .*-device virtio-net-pci,netdev=vhu1-net,vectors=0");
    }

    /**
     * Guest RAM on 2 MiB huge pages ({@code memory-backend-memfd,hugetlb=on}, through {@code --qemu-template}), as
     * DPDK and SPDK deployments run vhost-user: QEMU shares a hugetlbfs memfd, the back-end maps and serves it, and
     * the Linux guest's driver works the disk as on ordinary RAM. (QEMU's regions here start on huge-page offsets;
     * one that starts inside a huge page is {@code MemoryRegionsTest}'s.)
     */
    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void guestRunWithGuestRamOnHugePages() throws Exception {
        long needed = 256 / 2; // the default 256 MiB of guest RAM
        assumeTrue(freeHugePages() >= needed, "needs " + needed + " free 2 MiB huge pages; as root: echo 160 > "
                + "/proc/sys/vm/nr_hugepages (.ci/run reserves them)");
        String template = String.join(" ", QemuCommandLine.DEFAULT_TEMPLATE)
                .replace("memory-backend-memfd,id=mem,size=@MEMORY@,share=on", "memory-backend-memfd,id=mem,size=@MEMORY@,share=on,hugetlb=on,hugetlbsize=2M")
                + " -name pvkit-cli-hugepages";
        assertThat(template).contains("hugetlb=on");
        Run r = runShowing("guest", "run", "--accel", "tcg", "--timeout", "240s", "--qemu-template", template);
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("result:  PASS").containsPattern("8 seeded writes .*: 8/8 hashes and backing bytes match");
        assertThat(r.out()).as("QEMU's guest RAM was on huge pages")
                .containsPattern("qemu: +qemu-system-x86_64 .*memory-backend-memfd,id=mem,size=256M,share=on,hugetlb=on,hugetlbsize=2M .*-name pvkit-cli-hugepages");
        LiveSupport.assertNoQemuLeft("pvkit-cli-hugepages");
    }

    /**
     * Guest RAM in a file QEMU opens by path ({@code memory-backend-file} on tmpfs), which nobody can seal against
     * shrinking: the back-end refuses to map it, so the run stops at once with one line and exit 2, naming the
     * opt-in; with {@code --allow-unsealed-memory} the same guest runs and passes.
     */
    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void guestRamInAFileThatCannotBeSealedIsRefusedUnlessAllowed() throws Exception {
        Path shm = Path.of("/dev/shm");
        Path ram = Files.isDirectory(shm) ? shm.resolve("pvkit-clitest-" + ProcessHandle.current().pid()) : dir.resolve("guest-ram");
        String template = String.join(" ", QemuCommandLine.DEFAULT_TEMPLATE)
                .replace("memory-backend-memfd,id=mem,size=@MEMORY@,share=on", "memory-backend-file,id=mem,size=@MEMORY@,share=on,mem-path=" + ram)
                + " -name pvkit-cli-fileram";
        assertThat(template).contains("memory-backend-file");
        try {
            long t0 = System.nanoTime();
            Run refused = run("guest", "run", "--accel", "tcg", "--timeout", "240s", "--qemu-template", template);
            long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
            assertThat(refused.exit()).as(refused.out() + refused.err()).isEqualTo(2);
            assertThat(refused.err().lines()).as(refused.err()).hasSize(1);
            assertThat(refused.err()).startsWith("pvkit: the PVKit back-end refused QEMU's guest memory (")
                    .contains("not sealed against shrinking").contains("--allow-unsealed-memory");
            assertThat(seconds).as("stopped at the refusal, not at the time limit").isLessThan(200);
            LiveSupport.assertNoQemuLeft("pvkit-cli-fileram");

            Run allowed = run("guest", "run", "--accel", "tcg", "--timeout", "240s", "--allow-unsealed-memory", "--qemu-template", template);
            assertThat(allowed.exit()).as(allowed.out() + allowed.err()).isZero();
            assertThat(allowed.out()).contains("result:  PASS");
            LiveSupport.assertNoQemuLeft("pvkit-cli-fileram");
        } finally {
            Files.deleteIfExists(ram);
        }
    }

    private static long freeHugePages() throws IOException {
        Path free = Path.of("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
        return Files.exists(free) ? Long.parseLong(Files.readString(free).trim()) : 0;
    }

    /** Runs the command and shows its output in the test's log (a live run's record). */
    private static Run runShowing(String... args) {
        Run r = run(args);
        System.out.println(r.out() + r.err());
        return r;
    }

    @Test
    void versionNamesTheSpec() {
        Run r = run("--version");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("PVKit specification 4.0.0");
    }

    /** Acceptance of issue #5: the comparison runs in a test and prints both numbers (not a speed assertion). */
    @Test
    void benchCompareMeasuresBothBackendsAndPrintsRatios() {
        Run r = run("bench", "blk", "--compare", "--duration", "300ms", "--size", "16M", "--depths", "1,8");
        assertThat(r.exit()).as(r.err()).isZero();
        for (String target : new String[]{"pvkit/tmpfs", "qsd/tmpfs", "pvkit/null", "qsd/null"}) {
            assertThat(r.out().lines().filter(l -> l.startsWith(target + " ")))
                    .as("result rows for %s: 2 workloads x (QD1, QD8, 2 queues at QD8)", target).hasSize(6)
                    .allSatisfy(l -> assertThat(l).matches(target + "\\s+rand(read|write)\\s+[12]\\s+\\d+\\s+[1-9]\\d*\\s+[\\d.]+\\s+[\\d.]+\\s+"
                            + (target.startsWith("pvkit/") ? "\\d+" : "-")));
        }
        assertThat(r.out().lines().filter(l -> l.matches("\\s+(tmpfs|null)\\s+rand(read|write)\\s+Q[12]\\s+QD\\d+\\s+IOPS [\\d.]+\\s+p99 [\\d.]+")))
                .hasSize(12);
        assertThat(r.out().lines().filter(l -> l.matches("\\s+(pvkit|qsd)/(tmpfs|null)\\s+rand(read|write)\\s+QD8\\s+[\\d.]+")))
                .as("scaling lines").hasSize(8);
    }
}

package dev.pvkit.conformance.guest;

import dev.pvkit.conformance.workload.BlkReadCheck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The shipped guest agent script, run by the host's busybox on stdin/stdout with a regular file standing in for
 * the block device ({@code PVKIT_AGENT_SYSROOT}), driven by the Java {@link GuestAgent}: the pattern WRITE makes
 * (with the shipped pvkit-pattern, and with the awk fallback) and {@link PatternGenerator} agree byte for byte, every command gets exactly one result line, errors are ERR.
 * The live test repeats the pattern check inside a real guest.
 */
class AgentScriptTest {
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final int DISK = 1 << 20;

    @TempDir
    Path tmp;
    private Process agentProcess;
    private GuestAgent agent;
    private Path disk;
    private Path patternCalls;

    @BeforeEach
    void start() throws IOException {
        assumeTrue(Files.isExecutable(BUSYBOX), "needs the host's busybox (Debian package busybox-static)");
        Files.createDirectories(tmp.resolve("root/dev"));
        disk = tmp.resolve("root/dev/vda");
        patternCalls = tmp.resolve("pattern-calls");
        Files.write(disk, new byte[DISK]);
        startAgent(true);
    }

    /** Starts the agent with busybox applets and its own helpers on PATH, as in the guest; without pvkit-pattern if asked. */
    private void startAgent(boolean patternHelper) throws IOException {
        Path script = Files.writeString(tmp.resolve("agent.sh"), GuestImageBuilder.resource("agent.sh"));
        ProcessBuilder pb = new ProcessBuilder(BUSYBOX.toString(), "sh", script.toString(), "-")
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("PVKIT_AGENT_SYSROOT", tmp.resolve("root").toString());
        Path bin = tmp.resolve(patternHelper ? "bin" : "bin-without-pattern");
        Files.createDirectories(bin);
        HelperPrograms.install(GuestImageBuilder.ZEROOUT, bin, GuestImageBuilder.ZEROOUT);
        if (patternHelper) {
            // The helper behind a wrapper that notes each call: the awk fallback makes the same bytes, so the bytes
            // alone cannot show which one ran.
            Path real = HelperPrograms.install(GuestImageBuilder.PATTERN, bin, GuestImageBuilder.PATTERN + ".bin");
            Path wrapper = Files.writeString(bin.resolve(GuestImageBuilder.PATTERN), "#!" + BUSYBOX + " sh\n"
                    + "echo \"$*\" >>'" + patternCalls + "'\nexec '" + real + "' \"$@\"\n");
            wrapper.toFile().setExecutable(true);
        }
        pb.environment().put("PATH", bin.toString());
        agentProcess = pb.start();
        agent = GuestAgent.over(agentProcess.getInputStream(), agentProcess.getOutputStream(), null)
                .timeout(Duration.ofSeconds(30));
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (agent != null) agent.close();
        if (agentProcess != null) {
            agentProcess.destroyForcibly();
            agentProcess.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void bannerThenOneResultPerCommand() throws Exception {
        // busybox applets are found through "busybox sh"'s own applet table even with PATH unusable
        assertThat(agent.awaitReady(Duration.ofSeconds(10)).version()).isEqualTo(1);
        agent.ping();
        assertThat(agent.call("NOPE 1 2").text()).startsWith("unknown command NOPE");
        assertThat(agent.call("WRITE vda").text()).startsWith("usage: WRITE");
        assertThat(agent.call("WRITE vda 0 10 -3").ok()).isFalse();
        assertThat(agent.call("WRITE vda 0 10 4294967296").ok()).isFalse();
        assertThat(agent.call("WRITE vda 0 512 1 sideways").text()).isEqualTo("the fifth word may only be 'direct'");
        assertThat(agent.call("READ vda 0 512 sideways").text()).isEqualTo("the fourth word may only be 'direct'");
        assertThat(agent.call("READ vda 0 512 direct extra").text()).startsWith("usage: READ");
        assertThat(agent.call("READ vda " + DISK + " 1").text()).contains("beyond the end");
        assertThat(agent.call("READ vdz 0 1").text()).isEqualTo("no block device vdz");
        assertThat(agent.call("ZEROES vda 0").text()).startsWith("usage: ZEROES");
        assertThat(agent.call("NETSEND 10.0.0.1 80 10 4294967296").text()).isEqualTo("seed must be a decimal 0..4294967295");
        assertThat(agent.call("ZEROES vda " + DISK + " 4096").text()).contains("beyond the end");
        // The helper runs: BLKZEROOUT on a regular file (the test's stand-in disk) is ENOTTY, reported by number.
        assertThat(agent.call("ZEROES vda 0 4096").text()).isEqualTo("zeroes failed: errno 25");
        assertThat(agent.call("READ ../etc/passwd 0 1").ok()).isFalse();
        assertThat(agent.discard("vda", 0, 512).text()).startsWith("unsupported");
        assertThat(agent.call("REBIND no_such_driver virtio0").text()).isEqualTo("no driver no_such_driver");
        assertThat(agent.info("vda").sizeBytes()).isEqualTo(DISK);
        agent.ping(); // still in step after all the errors
    }

    /**
     * DUMP gives a file's first bytes as they are (a character device stands in as a regular file here), a short file
     * whole, and refuses relative paths, "..", shell characters, lengths outside 1..4096 and directories.
     */
    @Test
    void dumpGivesAFilesFirstBytes() throws Exception {
        agent.awaitReady(Duration.ofSeconds(10));
        byte[] random = new byte[5000];
        new java.util.Random(11).nextBytes(random);
        Files.write(tmp.resolve("root/dev/hwrng"), random);
        assertThat(agent.dump("/dev/hwrng", 64)).isEqualTo(Arrays.copyOf(random, 64));
        assertThat(agent.dump("/dev/hwrng", 4096)).isEqualTo(Arrays.copyOf(random, 4096));
        assertThat(agent.dump("/dev/hwrng", 1)).containsExactly(random[0]);
        Path current = tmp.resolve("root/sys/class/misc/hw_random/rng_current");
        Files.createDirectories(current.getParent());
        Files.writeString(current, "virtio_rng.0\n");
        assertThat(new String(agent.dump("/sys/class/misc/hw_random/rng_current", 64))).isEqualTo("virtio_rng.0\n");
        Files.write(tmp.resolve("root/dev/empty"), new byte[0]);
        assertThat(agent.dump("/dev/empty", 8)).isEmpty();
        assertThat(agent.call("DUMP dev/hwrng 1").text()).isEqualTo("the path must be absolute");
        assertThat(agent.call("DUMP /dev/../dev/hwrng 1").text()).startsWith("bad path");
        assertThat(agent.call("DUMP /dev/hw$rng 1").text()).startsWith("bad path");
        assertThat(agent.call("DUMP /dev/hwrng 0").text()).isEqualTo("length must be a decimal 1..4096");
        assertThat(agent.call("DUMP /dev/hwrng 4097").text()).isEqualTo("length must be a decimal 1..4096");
        assertThat(agent.call("DUMP /dev/nothing 1").text()).isEqualTo("no file /dev/nothing");
        assertThat(agent.call("DUMP /dev 1").text()).isEqualTo("/dev is a directory");
        assertThat(agent.call("DUMP /dev/hwrng").text()).startsWith("usage: DUMP");
        assertThatThrownBy(() -> agent.dump("/dev/hwrng", 4097)).isInstanceOf(IllegalArgumentException.class);
        agent.ping(); // in step: one result line per DUMP
    }

    /** EXIT writes its code to port 0xf4 through /dev/port (here a regular file): one byte at offset 0xf4. */
    @Test
    void exitWritesTheCodeToTheDebugExitPort() throws Exception {
        agent.awaitReady(Duration.ofSeconds(10));
        assertThat(agent.call("EXIT 42").text()).as("no /dev/port yet").isEqualTo("no /dev/port");
        Path port = tmp.resolve("root/dev/port");
        Files.write(port, new byte[256]);
        for (String bad : new String[]{"EXIT", "EXIT 0", "EXIT 64", "EXIT -1", "EXIT x", "EXIT 1 2"}) {
            assertThat(agent.call(bad).ok()).as(bad).isFalse();
        }
        assertThat(Files.readAllBytes(port)).as("nothing written by a refused EXIT").containsOnly(0);
        agent.exit(42); // the agent answers first, then writes the port (in a guest QEMU ends there)
        byte[] expected = new byte[256];
        expected[QemuCommandLine.EXIT_PORT] = 42;
        assertThat(awaitPortByte(port, 42)).isEqualTo(expected);
        agent.exit(QemuExit.MAX_GUEST_CODE);
        assertThat(awaitPortByte(port, QemuExit.MAX_GUEST_CODE)[QemuCommandLine.EXIT_PORT]).isEqualTo((byte) QemuExit.MAX_GUEST_CODE);
        assertThatThrownBy(() -> agent.exit(0)).isInstanceOf(IllegalArgumentException.class);
        agent.ping(); // in step: one result line per EXIT
    }

    /** The read-only check of a user's disk passes on equal bytes and fails when one byte differs. */
    @Test
    void readCheckComparesGuestReadsWithTheHostsBytes() throws Exception {
        agent.awaitReady(Duration.ofSeconds(10));
        byte[] content = new byte[DISK];
        new java.util.Random(3).nextBytes(content);
        Files.write(disk, content);
        dev.pvkit.backends.blk.MemoryBlockStore same = new dev.pvkit.backends.blk.MemoryBlockStore(DISK);
        same.write(0, java.nio.ByteBuffer.wrap(content));
        BlkReadCheck.Result ok = BlkReadCheck.run(agent, "vda", DISK, same, 4, 1);
        assertThat(ok.passed()).as(ok.reads().toString()).isTrue();
        assertThat(ok.reads()).hasSize(6);
        assertThat(ok.reads().get(0).offset()).isZero();
        assertThat(ok.reads().get(1).offset() + ok.reads().get(1).length()).as("the last range ends at the end").isEqualTo(DISK);
        assertThat(ok.reads()).allSatisfy(r -> assertThat(r.offset() % 512 + r.length() % 512).isZero());

        content[DISK - 1] ^= 1; // the host's copy differs in the last byte
        dev.pvkit.backends.blk.MemoryBlockStore other = new dev.pvkit.backends.blk.MemoryBlockStore(DISK);
        other.write(0, java.nio.ByteBuffer.wrap(content));
        BlkReadCheck.Result bad = BlkReadCheck.run(agent, "vda", DISK, other, 4, 1);
        assertThat(bad.passed()).isFalse();
        assertThat(bad.reads().get(1).matches()).isFalse();
    }

    /**
     * BATCH runs its commands at once and answers each as it would alone, in order: two writes and a read of
     * disjoint ranges land as if run one by one; a command that fails fails alone; a command it does not batch is
     * refused whole, before anything runs.
     */
    @Test
    void batchRunsCommandsTogetherAndAnswersEach() throws Exception {
        agent.awaitReady(Duration.ofSeconds(10));
        List<AgentReply> r = agent.batch(List.of(AgentProtocol.command("WRITE", "vda", 0, 8192, 5),
                AgentProtocol.command("WRITE", "vda", 65536, 4096, 6), AgentProtocol.command("READ", "vda", 131072, 4096),
                AgentProtocol.command("READ", "vda", DISK, 4096)));
        assertThat(r).extracting(AgentReply::ok).containsExactly(true, true, true, false);
        assertThat(r.get(2).field("sha256")).isEqualTo(PatternGenerator.sha256Hex(new byte[4096]));
        assertThat(r.get(3).text()).contains("beyond the end");
        byte[] d = Files.readAllBytes(disk);
        byte[] five = new byte[8192];
        byte[] six = new byte[4096];
        PatternGenerator.fill(5, five, 0, five.length);
        PatternGenerator.fill(6, six, 0, six.length);
        assertThat(java.util.Arrays.copyOfRange(d, 0, 8192)).isEqualTo(five);
        assertThat(java.util.Arrays.copyOfRange(d, 65536, 65536 + 4096)).isEqualTo(six);
        assertThat(agent.read("vda", 0, 8192)).as("the agent reads what the batch wrote").isEqualTo(PatternGenerator.sha256Hex(five));

        assertThat(agent.call("BATCH FLUSH:vda").text()).isEqualTo("BATCH runs WRITE, READ, ZEROES and DISCARD only, not FLUSH");
        assertThat(agent.call("BATCH").text()).startsWith("usage: BATCH");
        agent.ping();
    }

    /** Rereads the port file until the exit port holds {@code value}; returns that reading. */
    private static byte[] awaitPortByte(Path port, int value) {
        return await("exit port byte " + value).atMost(Duration.ofSeconds(10)).pollInSameThread().pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(50)).until(() -> Files.readAllBytes(port), b -> b[QemuCommandLine.EXIT_PORT] == (byte) value);
    }

    /** WRITE makes the pattern with pvkit-pattern, as in PVKit's own guest. */
    @Test
    void writtenPatternMatchesJavaByteForByte() throws Exception {
        assertWritesThePattern();
        assertThat(Files.readAllLines(patternCalls)).as("pvkit-pattern ran for each WRITE")
                .containsExactly("1 7", "4 0", "4096 4294967295", "1003 123456789", "70001 1");
    }

    /** Without pvkit-pattern (a vendor's initramfs that copied only the scripts), busybox awk makes the same bytes. */
    @Test
    void awkFallbackMatchesJavaByteForByte() throws Exception {
        stop();
        startAgent(false);
        assertWritesThePattern();
        assertThat(patternCalls).as("pvkit-pattern is not on this agent's PATH").doesNotExist();
    }

    private void assertWritesThePattern() throws Exception {
        agent.awaitReady(Duration.ofSeconds(10));
        long[][] cases = {{0, 1, 7}, {3, 4, 0}, {4096, 4096, 4294967295L}, {5000, 1003, 123456789}, {100_000, 70_001, 1}};
        for (long[] c : cases) {
            int off = (int) c[0], len = (int) c[1];
            agent.write("vda", off, len, c[2]);
            agent.flush("vda");
            byte[] all = Files.readAllBytes(disk);
            assertThat(Arrays.copyOfRange(all, off, off + len)).as("pattern seed %d len %d", c[2], len)
                    .isEqualTo(PatternGenerator.bytes(c[2], len));
            assertThat(agent.read("vda", off, len)).isEqualTo(PatternGenerator.sha256(c[2], len));
        }
        assertThat(Files.size(disk)).isEqualTo(DISK); // conv=notrunc: the "device" keeps its size
    }

    @Test
    void silenceIsATimeoutAndTheChannelIsThenRefused() throws Exception {
        PipedOutputStream feed = new PipedOutputStream();
        InputStream in = new PipedInputStream(feed);
        try (GuestAgent mute = GuestAgent.over(in, OutputStream.nullOutputStream(), feed)) {
            assertThatThrownBy(() -> mute.call("PING", Duration.ofMillis(200))).isInstanceOf(AgentException.class)
                    .hasMessageContaining("within the time limit");
            assertThatThrownBy(mute::ping).hasMessageContaining("unusable");
        }
    }

    @Test
    void aClosedChannelEndsWaitsAtOnce() throws Exception {
        PipedOutputStream feed = new PipedOutputStream();
        InputStream in = new PipedInputStream(feed);
        try (GuestAgent a = GuestAgent.over(in, OutputStream.nullOutputStream(), null)) {
            feed.write("noise before the banner\nPVKIT-AGENT READY 1 kernel=x\n".getBytes());
            feed.flush();
            assertThat(a.awaitReady(Duration.ofSeconds(5)).kernel()).isEqualTo("x");
            feed.close();
            long t0 = System.nanoTime();
            assertThatThrownBy(a::ping).hasMessageContaining("channel closed");
            assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(5));
        }
    }
}

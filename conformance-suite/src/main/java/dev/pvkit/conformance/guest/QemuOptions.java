package dev.pvkit.conformance.guest;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Everything that decides a QEMU command line and its limits. Mutable builder style; {@link QemuLauncher}
 * copies what it needs at launch.
 */
public final class QemuOptions {
    Path qemuBinary = Path.of("qemu-system-x86_64");
    /** Null for {@link #firmwareBoot()}. */
    GuestImage image;
    /** Whether the guest runs an agent on the agent channel (false for {@link #firmwareBoot()}). */
    boolean agent = true;
    int memoryMiB = 256;
    int cpus = 1;
    Accelerator accelerator = Accelerator.AUTO;
    AgentChannel agentChannel = AgentChannel.SERIAL;
    final List<VhostUserDevice> devices = new ArrayList<>();
    final List<String> kernelArgs = new ArrayList<>();
    final List<String> extraArgs = new ArrayList<>();
    List<String> template = QemuCommandLine.DEFAULT_TEMPLATE;
    Duration timeLimit = Duration.ofMinutes(5);
    Duration kvmProbeLimit = Duration.ofSeconds(12);
    Path runDirectory;
    /** Null: no transport trace. */
    Consumer<String> transportTrace;

    public static QemuOptions of(GuestImage image) {
        QemuOptions o = new QemuOptions();
        o.image = Objects.requireNonNull(image);
        return o;
    }

    /**
     * QEMU without a kernel, initramfs or agent: the firmware boots from a disk (e.g. a boot sector test). Give a
     * {@link #template} — the default one boots a kernel — that uses none of {@code @KERNEL@ @INITRD@ @APPEND@
     * @AGENT@ @AGENT_SOCKET@}, and {@link Accelerator#KVM} or {@link Accelerator#TCG} (AUTO's probe needs the
     * agent). {@link QemuInstance#agent()} then throws; the run ends when QEMU exits (e.g. through isa-debug-exit).
     * QEMU still gets the hard time limit, the process reaper and the run directory's logs.
     */
    public static QemuOptions firmwareBoot() {
        QemuOptions o = new QemuOptions();
        o.agent = false;
        o.accelerator = Accelerator.TCG;
        return o;
    }

    public QemuOptions qemuBinary(Path p) { qemuBinary = Objects.requireNonNull(p); return this; }

    public QemuOptions memoryMiB(int mib) {
        if (mib < 64) throw new IllegalArgumentException("a guest needs at least 64 MiB: " + mib);
        memoryMiB = mib;
        return this;
    }

    public QemuOptions cpus(int n) {
        if (n < 1) throw new IllegalArgumentException("cpus: " + n);
        cpus = n;
        return this;
    }

    public QemuOptions accelerator(Accelerator a) { accelerator = Objects.requireNonNull(a); return this; }

    public QemuOptions agentChannel(AgentChannel c) { agentChannel = Objects.requireNonNull(c); return this; }

    public QemuOptions device(VhostUserDevice d) { devices.add(Objects.requireNonNull(d)); return this; }

    /** Appended to the kernel command line. */
    public QemuOptions kernelArgs(String... args) { kernelArgs.addAll(List.of(args)); return this; }

    /** Appended verbatim after the template, like extra arguments on QEMU's own command line. */
    public QemuOptions extraArgs(String... args) { extraArgs.addAll(List.of(args)); return this; }

    /** Replaces the built-in argument template; see {@link QemuCommandLine} for the placeholders. */
    public QemuOptions template(List<String> args) { template = List.copyOf(args); return this; }

    /** QEMU is killed, with everything it started, once it has run this long. */
    public QemuOptions timeLimit(Duration d) { timeLimit = Objects.requireNonNull(d); return this; }

    /** How long {@link Accelerator#AUTO}'s KVM probe boot may take before KVM is declared unusable. */
    public QemuOptions kvmProbeLimit(Duration d) { kvmProbeLimit = Objects.requireNonNull(d); return this; }

    /** Where sockets and logs go (default: a fresh temp directory). */
    public QemuOptions runDirectory(Path dir) { runDirectory = dir; return this; }

    /**
     * Makes QEMU trace every memory-region access ({@code -trace memory_region_ops_write/read}, stamped with the
     * host's wall-clock time by {@code -msg timestamp=on}) into a FIFO in the run directory, and passes the lines of
     * virtio-pci regions ({@code name 'virtio-pci-...'}) to {@code lines}, exactly as QEMU wrote them, in order, from
     * a harness thread, as they come. All other lines are dropped. QEMU never waits for {@code lines}: if it falls
     * far behind, lines are dropped and counted ({@link QemuInstance#transportTraceDropped()}). After
     * {@link QemuInstance#close()} (or {@code awaitExit}) every line QEMU wrote has been passed on. Note that
     * {@code -msg timestamp=on} also stamps QEMU's own messages in its output log.
     */
    public QemuOptions transportTrace(Consumer<String> lines) { transportTrace = Objects.requireNonNull(lines); return this; }

    /** The same guest without devices or extra arguments: what AUTO boots to find out whether KVM works. */
    QemuOptions probeCopy(Path runDir) {
        if (!agent) throw new IllegalStateException("the KVM probe needs a guest with an agent");
        QemuOptions o = QemuOptions.of(image);
        o.qemuBinary = qemuBinary;
        o.memoryMiB = memoryMiB;
        o.agentChannel = agentChannel;
        o.template = template;
        o.timeLimit = kvmProbeLimit;
        o.runDirectory = runDir;
        return o;
    }
}

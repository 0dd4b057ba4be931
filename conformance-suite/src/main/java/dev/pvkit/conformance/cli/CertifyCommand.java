package dev.pvkit.conformance.cli;

import dev.pvkit.conformance.certify.CertificationService;
import dev.pvkit.conformance.certify.CertifyOptions;
import dev.pvkit.conformance.certify.DriverChoice;
import dev.pvkit.backends.net.NetOptions;
import dev.pvkit.conformance.certify.NetCertification;
import dev.pvkit.conformance.certify.RunTerms;
import dev.pvkit.conformance.certify.SetupException;
import dev.pvkit.conformance.guest.Accelerator;
import dev.pvkit.conformance.check.Checks;
import dev.pvkit.conformance.guest.Firmware;
import dev.pvkit.conformance.profile.Profiles;
import dev.pvkit.conformance.verdict.FailOn;
import dev.pvkit.spec.PvSpec;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code pvkit certify}: one verdict per driver requirement for a guest's virtio-blk (or, with --device net, virtio-net) driver, and the reports. */
@Command(name = "certify", mixinStandardHelpOptions = true,
        description = {"Certify a guest's virtio-blk driver: boot it on a PVKit disk, watch every ring access, vhost-user "
                + "step and register access of its drivers, and give one verdict per driver requirement of the PVKit spec.",
                "Exit 0: no failure the profile (or --fail-on) counts, waived ones aside; 1: such a failure, an expired "
                + "waiver's failure, or a run that could not finish; 2: usage or set-up error (a bad profile or waiver file too)."})
final class CertifyCommand implements Callable<Integer> {

    @ArgGroup(exclusive = true)
    Guest guestChoice = new Guest();

    static final class Guest {
        @Option(names = "--guest", paramLabel = "default", description = "the default guest: Debian's Linux kernel and a busybox initramfs with the PVKit agent")
        String guest;

        @ArgGroup(exclusive = false)
        Kernel kernel;

        @Option(names = "--qemu-template", paramLabel = "ARGS", description = "QEMU arguments replacing the default template "
                + "(see 'pvkit guest run --help' for the placeholders); @DEVICES@ is required; without @KERNEL@ the firmware "
                + "boots from the PVKit disk (use with --passive)")
        String template;

        @Option(names = "--firmware", paramLabel = "seabios|ovmf", description = "certify a firmware's own driver: boot "
                + "only the firmware (QEMU's SeaBIOS, or OVMF from /usr/share/ovmf/OVMF.fd, Debian package ovmf) from the PVKit "
                + "disk (--disk, e.g. a boot sector; else a blank disk), serial console captured, isa-debug-exit at 0xf4; implies --passive")
        Firmware firmware;
    }

    static final class Kernel {
        @Option(names = "--kernel", paramLabel = "FILE", required = true, description = "your own kernel: a Linux bzImage with --initrd, or without one a bare kernel "
                + "(Multiboot, a small OS) that SeaBIOS boots and leaves the disk to; a bare kernel needs --passive")
        Path kernel;

        @Option(names = "--initrd", paramLabel = "FILE", description = "its initramfs (it must start the PVKit agent unless --passive)")
        Path initrd;

        @Option(names = "--append", paramLabel = "ARGS", description = "extra kernel arguments")
        String append;
    }

    @Option(names = "--device", paramLabel = "blk|net", defaultValue = "blk", description = "the driver certified: blk "
            + "(virtio-blk, the default) or net (virtio-net: the guest's interface on a PVKit switch port pings a responder; "
            + "the default guest or --kernel with --initrd, or with --firmware seabios iPXE's driver leasing an address over DHCP; "
            + "--passive watches what the guest does on its own, with the responder's DHCP, ARP, ping and UDP echo; "
            + "--tries N tries generated device behaviour (none unless asked); no disk, profile or matrix options yet)")
    String device;

    @Option(names = "--xen", description = "certify Linux's Xen front-ends instead: xen-blkfront and xen-netfront in a PV "
            + "domU on real Xen 4.17 (Debian's, under QEMU TCG), served by PVKit's blkback and netback in dom0; judges the "
            + "XRING, XEN, XHCALL, XBLK and XNET areas. Takes --report, --timeout, --fail-on and --waivers")
    boolean xen;

    @Option(names = "--queue-pairs", paramLabel = "N", description = "with --device net: receive/transmit queue pairs offered, "
            + "1..8 (default 1); the guest gets as many CPUs and pings from each, so that its driver uses every pair")
    Integer queuePairs;

    @Option(names = "--passive", description = "no agent and no workload: observe whatever the guest's drivers do until it "
            + "powers off, exits through the exit device, or the time limit (how a firmware or a foreign OS is certified). "
            + "A guest that reports its own result through the exit device (I/O port 0xf4: 0 passed, 1 to 63 failed) takes "
            + "part in the generated device behaviour: each try boots it again, and a failing code fails the try")
    boolean passive;

    @Option(names = "--quiet-end", paramLabel = "TIME", converter = Sizes.Time.class, description = "passive runs: end once the "
            + "guest's drivers have left the device alone this long after using it (default " + "15s for a firmware-only boot, "
            + "never when a kernel boots; 0 = never); a firmware that waits at its shell or boot menu never exits on its own")
    Duration quietEnd;

    @Option(names = "--disk", paramLabel = "FILE", description = "serve this image read-only instead of a fresh 64 MiB disk (e.g. a boot sector for firmware)")
    Path disk;

    @Option(names = "--report", paramLabel = "DIR", defaultValue = "target/pvkit", description = "where report.json, junit.xml and report.html go (default ${DEFAULT-VALUE})")
    Path report;

    @Option(names = "--timeout", defaultValue = "8m", converter = Sizes.Time.class, description = "hard limit for the whole run (default ${DEFAULT-VALUE})")
    Duration timeout;

    @Option(names = "--fail-on", paramLabel = "must|should", description = "must: only MUST-level violations fail the run, "
            + "SHOULD-level ones are warnings; should: both fail it. Default: the profile's requirement set (must for "
            + "'must', should for 'must+should'); given, this option wins over the profile")
    FailOn failOn;

    @Option(names = "--profile", paramLabel = "NAME|FILE", defaultValue = Profiles.DEFAULT, description = "what the run "
            + "certifies: a bundled profile (blk, the default; blk-quick, for CI gates) or a profile file (docs/profiles.md): "
            + "device, spec version, requirement set, feature sets, tries, time budget")
    String profile;

    @Option(names = "--waivers", paramLabel = "FILE", description = "known failures accepted until a date (YAML list of "
            + "id, owner, reason, expires; docs/profiles.md): a waived failure fails nothing and every report shows it; "
            + "once expired it fails the run again")
    Path waivers;

    @Option(names = "--driver", paramLabel = "os|firmware|all", description = "whose driver is judged: os (the default when a kernel boots), "
            + "firmware (the default for a firmware-only boot), or all; the other drivers' sessions are listed but not judged")
    DriverChoice driver;

    @Option(names = "--accel", defaultValue = "auto", description = "auto, kvm or tcg (default ${DEFAULT-VALUE}: KVM only if a probe boot works)")
    Accelerator accelerator;

    @Option(names = "--tries", paramLabel = "N", description = "tries of generated device behaviour after "
            + "the standard workload, shared among the profile's feature sets (a boot each): each serves the guest with another "
            + "legal completion order, batching, hold time, injected I/O error, spurious notifications or capacity change while "
            + "the agent writes, reads back, flushes and discards (default: the profile's; 0: none)")
    Integer tries;

    @Option(names = "--seed", paramLabel = "S", description = "the seed the tries are generated from (default: a new one, printed "
            + "in the report; give it again to repeat a run's tries)")
    Long seed;

    @Option(names = "--time-budget", paramLabel = "TIME", converter = Sizes.Time.class, description =
            "the most the generated tries may take, shrinking a failure included (default: the profile's)")
    Duration timeBudget;

    @Option(names = "--replay", paramLabel = "CASE", description = "run this one case (as a report's replay command gives it) "
            + "instead of generated tries")
    String replay;

    @Option(names = "--matrix", paramLabel = "FILE", description = "certify every cell of a matrix file (guests × profiles "
            + "× seeds, docs/matrix.md), each an ordinary certification with its reports in --report/cell-N, plus shard.json "
            + "and one merged report for the cells run; the other options apply to every cell, the guest, profile and seed "
            + "options do not go with it")
    Path matrix;

    @Option(names = "--shard", paramLabel = "K/N|auto/N", description = "with --matrix: run only the K-th of N disjoint "
            + "parts (K from 1 to N; cell c is shard ((c-1) mod N)+1's); auto/N takes K from JOB_COMPLETION_INDEX (0-based, "
            + "Kubernetes Indexed Jobs) or else PVKIT_SHARD (1-based). Default: 1/1, every cell. 'pvkit report merge' joins the shards")
    String shard;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        if (xen) return certifyXen(out);
        if (shard != null && matrix == null) throw new UserError("--shard needs --matrix (a shard is a part of a matrix)");
        if (!device.equals("blk") && !device.equals("net")) throw new UserError("--device must be blk or net, got " + device);
        if (device.equals("net")) refuseForNet();
        if (queuePairs != null && !device.equals("net")) throw new UserError("--queue-pairs goes with --device net only");
        if (queuePairs != null && (queuePairs < 1 || queuePairs > NetOptions.MAX_QUEUE_PAIRS)) {
            throw new UserError("--queue-pairs must be 1.." + NetOptions.MAX_QUEUE_PAIRS + ", got " + queuePairs);
        }
        if (queuePairs != null && queuePairs > 1 && guestChoice.firmware != null) throw new UserError("--queue-pairs above 1 does not go with --firmware (iPXE uses one pair)");
        if (matrix != null) return MatrixCertify.run(this, out);
        if (guestChoice.guest != null && !guestChoice.guest.equals("default")) {
            throw new UserError("--guest takes only 'default' (use --kernel FILE for your own kernel)");
        }
        List<String> template = guestChoice.template == null ? null : GuestCommand.Run.templateFor(guestChoice.template, passive);
        if (guestChoice.firmware != null && !passive) {
            out.println("pvkit: --firmware boots no agent: the run is passive");
        }
        PvSpec pvSpec = PvSpec.load();
        CertifyOptions base = CertifyOptions.defaults(report).withTimeout(timeout).withAccelerator(accelerator)
                .withPassive(passive).withTemplate(template).withDisk(disk).withDriver(driver).withQuietEnd(quietEnd)
                .withFirmware(guestChoice.firmware);
        if (guestChoice.kernel != null) base = base.withKernel(guestChoice.kernel.kernel, guestChoice.kernel.initrd, guestChoice.kernel.append);
        RunTerms.Resolved run;
        try {
            // A net replay word is a net case: decoded below, not as a blk one.
            run = new RunTerms(profile, waivers, tries, seed, timeBudget, device.equals("net") ? null : replay, failOn).apply(pvSpec, base);
        } catch (RunTerms.InvalidTermsException e) {
            throw new UserError(e.message(term -> "--" + term));
        }
        CertificationService.Result r;
        try {
            dev.pvkit.conformance.certify.Progress progress = line -> {
                out.println("pvkit: " + line);
                out.flush();
            };
            r = device.equals("net")
                    ? new NetCertification(pvSpec, Checks.all(), java.time.Clock.systemUTC()).run(run.options(), queuePairs == null ? 1 : queuePairs,
                            netTries(run), progress)
                    : new CertificationService(pvSpec, Checks.all()).run(run.options(), run.explore(), progress);
        } catch (SetupException e) {
            throw new UserError(e.getMessage());
        }
        return finish(r, out);
    }

    /** The options a Xen certification takes; any other is refused in one line. */
    private static final List<String> XEN_OPTIONS = List.of("--xen", "--report", "--timeout", "--fail-on", "--waivers");

    private int certifyXen(PrintWriter out) throws InterruptedException {
        for (var o : spec.commandLine().getParseResult().matchedOptions()) {
            if (!XEN_OPTIONS.contains(o.longestName())) {
                throw new UserError(o.longestName() + " does not go with --xen (it takes " + String.join(", ", XEN_OPTIONS.subList(1, XEN_OPTIONS.size())) + ")");
            }
        }
        PvSpec pvSpec = PvSpec.load();
        CertifyOptions o = CertifyOptions.defaults(report).withTimeout(timeout).withFailOn(failOn != null ? failOn : FailOn.MUST);
        if (waivers != null) {
            try {
                o = o.withWaivers(dev.pvkit.conformance.profile.Waivers.load(waivers, pvSpec));
            } catch (dev.pvkit.conformance.profile.InvalidFileException e) {
                throw new UserError(e.getMessage());
            }
        }
        CertificationService.Result r;
        try {
            r = new dev.pvkit.conformance.certify.XenCertification(pvSpec, Checks.all(), java.time.Clock.systemUTC())
                    .run(o, line -> {
                        out.println("pvkit: " + line);
                        out.flush();
                    });
        } catch (SetupException e) {
            throw new UserError(e.getMessage());
        }
        return finish(r, out);
    }

    private static int finish(CertificationService.Result r, PrintWriter out) {
        new VerdictTable(r.certification()).print(out);
        out.println();
        for (Path p : r.reports()) out.println("report: " + p.toAbsolutePath());
        if (r.console() != null) out.println("guest console: " + r.console().toAbsolutePath());
        if (r.incomplete() != null) out.println("pvkit: the run did not finish its workload: " + r.incomplete());
        out.flush();
        return r.certification().failed() || r.incomplete() != null ? 1 : 0;
    }

    /**
     * A net certification's generated behaviour: only when asked for (--tries or --replay; the blk profiles' tries
     * are a disk's), from the run's seed, within --time-budget or the default profile's.
     */
    private NetCertification.Tries netTries(RunTerms.Resolved run) {
        try {
            return NetCertification.Tries.of(tries, run.explore(), replay);
        } catch (IllegalArgumentException e) {
            throw new UserError("--replay: " + e.getMessage());
        }
    }

    /** The options a net certification does not take yet, each refused in one line. */
    private void refuseForNet() {
        var parsed = spec.commandLine().getParseResult();
        if (guestChoice.firmware != null && guestChoice.firmware != Firmware.SEABIOS) {
            throw new UserError("--device net certifies a firmware's driver under --firmware seabios only (iPXE, QEMU's network boot ROM)");
        }
        if (guestChoice.kernel != null && guestChoice.kernel.initrd == null) {
            throw new UserError("--device net boots a kernel with its initramfs: give --initrd (with --passive it need not start the PVKit agent)");
        }
        for (String name : List.of("--disk", "--matrix", "--shard", "--profile")) {
            if (parsed.hasMatchedOption(name)) {
                throw new UserError(name + " does not go with --device net yet (net certification runs the default workload,"
                        + " or with --passive the guest's own, on the default guest or --kernel with --initrd, or iPXE's under --firmware seabios)");
            }
        }
    }
}

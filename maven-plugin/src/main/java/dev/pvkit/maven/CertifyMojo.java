package dev.pvkit.maven;

import dev.pvkit.conformance.certify.CertificationService;
import dev.pvkit.conformance.certify.CertifyOptions;
import dev.pvkit.conformance.certify.DriverChoice;
import dev.pvkit.conformance.certify.NetCertification;
import dev.pvkit.conformance.certify.RunTerms;
import dev.pvkit.conformance.certify.SetupException;
import dev.pvkit.conformance.check.Checks;
import dev.pvkit.conformance.guest.Accelerator;
import dev.pvkit.conformance.guest.Firmware;
import dev.pvkit.conformance.guest.QemuCommandLine;
import dev.pvkit.conformance.verdict.FailOn;
import dev.pvkit.backends.net.NetOptions;
import dev.pvkit.spec.PvSpec;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Certifies a guest's virtio-blk driver (or, with {@code device} net, its virtio-net driver), as {@code pvkit certify} does: boots the guest under QEMU on a PVKit disk,
 * watches every ring access, vhost-user step and register access of its driver, runs the profile's generated device
 * behaviour, and gives one verdict per driver requirement of the PVKit spec. Writes report.json, junit.xml and
 * report.html to {@code reportDirectory} and a copy of the JUnit XML next to Surefire's reports. Fails the build
 * when the driver breaks a requirement that {@code failOn} (or the profile) counts, naming each one.
 */
@Mojo(name = "certify", defaultPhase = LifecyclePhase.VERIFY, requiresProject = false, threadSafe = true)
public final class CertifyMojo extends AbstractMojo {

    /**
     * The guest: {@code default} (Debian's Linux kernel and a busybox initramfs with the PVKit agent, downloaded once
     * into ~/.cache/pvkit). Leave it at {@code default} and set {@code kernel} to certify your own kernel instead.
     */
    @Parameter(property = "pvkit.guest", defaultValue = "default")
    String guest;

    /**
     * Your own guest kernel; replaces the default guest. A Linux bzImage goes with {@code initrd}; without one the
     * kernel (a Multiboot ELF, a small OS) boots bare under SeaBIOS, which leaves the disk to it, and needs
     * {@code passive}.
     */
    @Parameter(property = "pvkit.kernel")
    File kernel;

    /** The kernel's initramfs; it must start the PVKit agent unless {@code passive}. */
    @Parameter(property = "pvkit.initrd")
    File initrd;

    /** Extra kernel arguments. */
    @Parameter(property = "pvkit.append")
    String append;

    /**
     * QEMU arguments replacing PVKit's template, with placeholders ({@code @DEVICES@} required; {@code @KERNEL@},
     * {@code @INITRD@}, {@code @APPEND@}, {@code @AGENT@}, {@code @ACCEL@}, {@code @MEMORY@}, ...: see
     * {@code pvkit guest run --help}).
     */
    @Parameter(property = "pvkit.qemuTemplate")
    String qemuTemplate;

    /** Certify a firmware's own driver instead: {@code seabios} or {@code ovmf}, booted alone from the disk (implies passive). */
    @Parameter(property = "pvkit.firmware")
    String firmware;

    /**
     * No agent and no workload: observe whatever the guest's drivers do until it powers off or exits through the
     * exit device (I/O port 0xf4). How a firmware, a foreign OS or a vendor's test kernel is certified.
     */
    @Parameter(property = "pvkit.passive", defaultValue = "false")
    boolean passive;

    /** Serve this image read-only instead of a fresh 64 MiB disk. */
    @Parameter(property = "pvkit.disk")
    File disk;

    /** Whose driver is judged: {@code os}, {@code firmware} or {@code all} (default: os when a kernel boots). */
    @Parameter(property = "pvkit.driver")
    String driver;

    /**
     * What the run certifies: a bundled profile ({@code blk}, the default; {@code blk-quick}, for CI gates) or the
     * path of a profile file (device, spec version, requirement set, feature sets, tries, time budget).
     */
    @Parameter(property = "pvkit.profile", defaultValue = "blk")
    String profile;

    /**
     * The driver certified: {@code blk} (virtio-blk, the default) or {@code net} (virtio-net: the guest's interface
     * on a port of PVKit's switch pings a responder, then tries generated device behaviour if {@code tries} asks for
     * it; the profile stays {@code blk}, whose tries are a disk's and do not apply).
     */
    @Parameter(property = "pvkit.device", defaultValue = "blk")
    String device;

    /** With {@code net}: receive/transmit queue pairs offered, 1..8 (default 1); the guest gets as many CPUs. */
    @Parameter(property = "pvkit.queuePairs")
    Integer queuePairs;

    /** Tries of generated device behaviour (default: the profile's; 0: none). */
    @Parameter(property = "pvkit.tries")
    Integer tries;

    /** The seed the tries are generated from (default: a new one, printed in the report). */
    @Parameter(property = "pvkit.seed")
    Long seed;

    /** The most the generated tries may take, shrinking included, e.g. {@code 90s} (default: the profile's). */
    @Parameter(property = "pvkit.timeBudget")
    String timeBudget;

    /** Run this one case (a report's replay word) instead of generated tries. */
    @Parameter(property = "pvkit.replay")
    String replay;

    /**
     * Known failures accepted until a date: a YAML list of id, owner, reason, expires. A waived failure fails
     * nothing and every report shows it; once expired it fails the build again; an unknown id is an error.
     */
    @Parameter(property = "pvkit.waivers")
    File waivers;

    /** Where report.json, junit.xml, report.html and the guest's console.log go. */
    @Parameter(property = "pvkit.reportDirectory", defaultValue = "${project.build.directory}/pvkit")
    File reportDirectory;

    /**
     * Where a copy of the JUnit XML goes, as {@code TEST-pvkit-certify.xml}: by default Surefire's report directory,
     * where CI tools (Jenkins' junit step, GitLab's {@code artifacts:reports:junit}, GitHub test reporters) already look.
     */
    @Parameter(property = "pvkit.junitDirectory", defaultValue = "${project.build.directory}/surefire-reports")
    File junitDirectory;

    /** {@code auto} (KVM only if a probe boot works), {@code kvm} or {@code tcg}. */
    @Parameter(property = "pvkit.accel", defaultValue = "auto")
    String accel;

    /**
     * {@code must}: only MUST-level violations fail the build, SHOULD-level ones are warnings; {@code should}: both
     * fail it. Default: the profile's requirement set.
     */
    @Parameter(property = "pvkit.failOn")
    String failOn;

    /** Hard limit for the whole run, e.g. {@code 8m}. */
    @Parameter(property = "pvkit.timeout", defaultValue = "8m")
    String timeout;

    /** Skip the certification. */
    @Parameter(property = "pvkit.skip", defaultValue = "false")
    boolean skip;

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("PVKit certification skipped (pvkit.skip)");
            return;
        }
        PvSpec spec = PvSpec.load();
        boolean net = net();
        RunTerms.Resolved run;
        NetCertification.Tries netTries = null;
        try {
            run = terms(net).apply(spec, options());
            if (net) netTries = NetCertification.Tries.of(tries, run.explore(), replay);
        } catch (RunTerms.InvalidTermsException e) {
            throw new MojoExecutionException(e.message(Parameters::name));
        } catch (IllegalArgumentException e) {
            throw new MojoExecutionException(e.getMessage().startsWith("not a PVKit") ? Parameters.name("replay") + ": " + e.getMessage() : e.getMessage());
        }
        CertificationService.Result r;
        try {
            r = net ? new NetCertification(spec, Checks.all(), java.time.Clock.systemUTC()).run(run.options(),
                    queuePairs == null ? 1 : queuePairs, netTries, line -> getLog().info("pvkit: " + line))
                    : new CertificationService(spec, Checks.all()).run(run.options(), run.explore(), line -> getLog().info("pvkit: " + line));
        } catch (SetupException e) {
            throw new MojoExecutionException(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MojoExecutionException("PVKit certification interrupted");
        }
        Path junit = copyJunit(r.reports());
        BuildVerdict verdict = new BuildVerdict(r);
        verdict.summary().forEach(getLog()::info);
        if (junit != null) getLog().info("JUnit XML: " + junit);
        if (verdict.fails()) throw new MojoFailureException(String.join(System.lineSeparator(), verdict.failureLines()));
    }

    /** A net run's replay word is a net case, decoded apart from the terms. */
    private RunTerms terms(boolean net) {
        return new RunTerms(profile, path(waivers), tries, seed, timeBudget == null ? null : Parameters.duration("timeBudget", timeBudget),
                net ? null : replay, failOn == null ? null : Parameters.choice("failOn", failOn, FailOn.class));
    }

    /** Whether {@code device} is net; what does not go with it is refused in one line. */
    private boolean net() throws MojoExecutionException {
        if (!device.equals("blk") && !device.equals("net")) throw new MojoExecutionException(Parameters.name("device") + " must be blk or net, not " + device);
        boolean net = device.equals("net");
        if (queuePairs != null && !net) throw new MojoExecutionException(Parameters.name("queuePairs") + " goes with <device>net</device> only");
        if (queuePairs != null && (queuePairs < 1 || queuePairs > NetOptions.MAX_QUEUE_PAIRS)) {
            throw new MojoExecutionException(Parameters.name("queuePairs") + " must be 1.." + NetOptions.MAX_QUEUE_PAIRS + ", not " + queuePairs);
        }
        if (net && !profile.equals("blk")) throw new MojoExecutionException(Parameters.name("profile") + " does not go with <device>net</device> yet");
        if (net && disk != null) throw new MojoExecutionException(Parameters.name("disk") + " does not go with <device>net</device>");
        if (net && kernel != null && initrd == null) {
            throw new MojoExecutionException(Parameters.name("kernel") + " with <device>net</device> needs " + Parameters.name("initrd")
                    + " (with <passive> it need not start the PVKit agent)");
        }
        return net;
    }

    private CertifyOptions options() {
        if (guest != null && !guest.equals("default")) {
            throw new IllegalArgumentException("<guest> takes only 'default' (set <kernel> to certify your own kernel)");
        }
        Firmware fw = firmware == null ? null : Parameters.choice("firmware", firmware, Firmware.class);
        if (kernel != null && (fw != null || qemuTemplate != null && !qemuTemplate.contains("@KERNEL@"))) {
            throw new IllegalArgumentException("<kernel> cannot go with <firmware> or a template without @KERNEL@");
        }
        List<String> template = null;
        if (qemuTemplate != null) {
            try {
                template = QemuCommandLine.checkedTemplate(qemuTemplate, passive);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("<qemuTemplate>" + e.getMessage());
            }
        }
        CertifyOptions o = CertifyOptions.defaults(reportDirectory.toPath())
                .withTimeout(Parameters.duration("timeout", timeout))
                .withAccelerator(Parameters.choice("accel", accel, Accelerator.class))
                .withPassive(passive).withTemplate(template).withDisk(path(disk))
                .withDriver(driver == null ? null : Parameters.choice("driver", driver, DriverChoice.class))
                .withFirmware(fw);
        if (kernel != null) o = o.withKernel(kernel.toPath(), path(initrd), append);
        return o;
    }

    /** junit.xml, copied to where CI tools collect Surefire's reports. */
    private Path copyJunit(List<Path> reports) throws MojoExecutionException {
        if (junitDirectory == null) return null;
        for (Path p : reports) {
            if (!p.getFileName().toString().equals("junit.xml")) continue;
            Path to = junitDirectory.toPath().resolve("TEST-pvkit-certify.xml");
            try {
                Files.createDirectories(junitDirectory.toPath());
                Files.copy(p, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new MojoExecutionException("cannot copy the JUnit XML to " + to + ": " + e.getMessage());
            }
            return to;
        }
        return null;
    }

    private static Path path(File f) {
        return f == null ? null : f.toPath();
    }
}

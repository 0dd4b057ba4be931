package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.guest.Accelerator;
import dev.pvkit.conformance.guest.Firmware;
import dev.pvkit.conformance.profile.Profile;
import dev.pvkit.conformance.profile.Waivers;
import dev.pvkit.conformance.verdict.FailOn;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What to certify and how.
 *
 * @param kernel      the guest kernel, or null for the default guest (Debian's kernel and a busybox initramfs)
 * @param initrd      its initramfs (with the PVKit agent unless passive), or null
 * @param append      extra kernel arguments, or null
 * @param template    QEMU arguments replacing the default template (see QemuCommandLine), or null
 * @param passive     no agent and no workload: observe whatever the guest's drivers do until it powers off, exits
 *                    through the exit device, or the time limit ends the run
 * @param disk        an image to serve (read-only) instead of a fresh disk, or null
 * @param reportDir   where the reports go
 * @param timeout     hard limit for the whole run
 * @param failOn      which failures fail the run
 * @param accelerator KVM, TCG, or AUTO (KVM only if a probe boot works)
 * @param driver      whose driver is judged, or null for the default: the OS's when a kernel boots, else the firmware's
 * @param firmware    a firmware booted alone from the disk ({@link #withFirmware}), or null
 * @param quietEnd    passive runs only: end the run once nothing has happened on the device for this long after the
 *                    guest's drivers used it; null for the default ({@link #DEFAULT_QUIET_END} for a firmware-only
 *                    boot, off when a kernel boots), {@link Duration#ZERO} for off
 * @param profile     what the run certifies (reported with the verdicts), or null for none; {@code failOn} already
 *                    reflects it ({@link #withProfile})
 * @param waivers     failures accepted for a time, or null for none
 */
public record CertifyOptions(Path kernel, Path initrd, String append, List<String> template, boolean passive,
                             Path disk, Path reportDir, Duration timeout, FailOn failOn, Accelerator accelerator, DriverChoice driver,
                             Firmware firmware, Duration quietEnd, Profile profile, Waivers waivers) {

    /**
     * How long a passive firmware-only run waits, after the last thing it observed on the device, before it
     * decides the firmware is done with it (OVMF sitting at its shell never exits). Under TCG OVMF's own gaps
     * between driver steps stay far below this.
     */
    public static final Duration DEFAULT_QUIET_END = Duration.ofSeconds(15);

    public CertifyOptions {
        Objects.requireNonNull(reportDir);
        Objects.requireNonNull(timeout);
        Objects.requireNonNull(failOn);
        Objects.requireNonNull(accelerator);
        template = template == null ? null : List.copyOf(template);
    }

    /** The default guest, its standard workload, reports in {@code reportDir}. */
    public static CertifyOptions defaults(Path reportDir) {
        return new CertifyOptions(null, null, null, null, false, null, reportDir, Duration.ofMinutes(5), FailOn.MUST,
                Accelerator.AUTO, null, null, null, null, null);
    }

    public CertifyOptions withPassive(boolean on) {
        return new CertifyOptions(kernel, initrd, append, template, on, disk, reportDir, timeout, failOn, accelerator, driver, firmware, quietEnd, profile, waivers);
    }

    public CertifyOptions withTemplate(List<String> t) {
        return new CertifyOptions(kernel, initrd, append, t, passive, disk, reportDir, timeout, failOn, accelerator, driver, firmware, quietEnd, profile, waivers);
    }

    public CertifyOptions withKernel(Path k, Path i, String a) {
        return new CertifyOptions(k, i, a, template, passive, disk, reportDir, timeout, failOn, accelerator, driver, firmware, quietEnd, profile, waivers);
    }

    public CertifyOptions withDisk(Path d) {
        return new CertifyOptions(kernel, initrd, append, template, passive, d, reportDir, timeout, failOn, accelerator, driver, firmware, quietEnd, profile, waivers);
    }

    public CertifyOptions withTimeout(Duration d) {
        return new CertifyOptions(kernel, initrd, append, template, passive, disk, reportDir, d, failOn, accelerator, driver, firmware, quietEnd, profile, waivers);
    }

    public CertifyOptions withFailOn(FailOn f) {
        return new CertifyOptions(kernel, initrd, append, template, passive, disk, reportDir, timeout, f, accelerator, driver, firmware, quietEnd, profile, waivers);
    }

    public CertifyOptions withAccelerator(Accelerator a) {
        return new CertifyOptions(kernel, initrd, append, template, passive, disk, reportDir, timeout, failOn, a, driver, firmware, quietEnd, profile, waivers);
    }

    public CertifyOptions withDriver(DriverChoice d) {
        return new CertifyOptions(kernel, initrd, append, template, passive, disk, reportDir, timeout, failOn, accelerator, d, firmware, quietEnd, profile, waivers);
    }

    /**
     * Boots {@code f} alone from the disk: its {@link Firmware#template()} replaces the template, and the run is
     * passive (a firmware-only guest has no agent).
     */
    public CertifyOptions withFirmware(Firmware f) {
        return new CertifyOptions(kernel, initrd, append, f == null ? template : f.template(), f != null || passive, disk,
                reportDir, timeout, failOn, accelerator, driver, f, quietEnd, profile, waivers);
    }

    public CertifyOptions withQuietEnd(Duration d) {
        return new CertifyOptions(kernel, initrd, append, template, passive, disk, reportDir, timeout, failOn, accelerator,
                driver, firmware, d, profile, waivers);
    }

    /**
     * Certifies under {@code p}: its requirement set decides which failures fail the run, unless {@code explicitFailOn}
     * (the user's {@code --fail-on}, or null) says otherwise.
     */
    public CertifyOptions withProfile(Profile p, FailOn explicitFailOn) {
        FailOn f = explicitFailOn != null ? explicitFailOn : p != null ? p.requirements().failOn() : failOn;
        return new CertifyOptions(kernel, initrd, append, template, passive, disk, reportDir, timeout, f, accelerator,
                driver, firmware, quietEnd, p, waivers);
    }

    public CertifyOptions withWaivers(Waivers w) {
        return new CertifyOptions(kernel, initrd, append, template, passive, disk, reportDir, timeout, failOn, accelerator,
                driver, firmware, quietEnd, profile, w);
    }

    /**
     * How long a passive run may see nothing on the device before it ends, or null for never (the run then ends
     * when QEMU exits or at the time limit).
     */
    public Duration effectiveQuietEnd() {
        if (!passive) return null;
        Duration d = quietEnd != null ? quietEnd : bootsKernel() ? null : DEFAULT_QUIET_END;
        return d == null || d.isZero() || d.isNegative() ? null : d;
    }

    /** The driver judged: the one chosen, else the OS's when a kernel boots and the firmware's otherwise. */
    public DriverChoice judgedDriver() {
        return driver != null ? driver : bootsKernel() || bareKernel() ? DriverChoice.OS : DriverChoice.FIRMWARE;
    }

    /**
     * Whether the guest boots a Linux kernel with an initramfs (the default guest or the user's), whose banner tells
     * the OS's driver sessions from the firmware's, rather than firmware from the disk alone or a {@link #bareKernel}.
     */
    public boolean bootsKernel() {
        return !bareKernel() && (template == null || template.contains("@KERNEL@"));
    }

    /**
     * Whether the guest is a kernel without an initramfs (passive only): a Multiboot kernel or another small OS, which
     * SeaBIOS boots with {@code -kernel} ({@link Firmware#templateBooting}) and whose sessions are all the OS's.
     */
    public boolean bareKernel() {
        return kernel != null && initrd == null;
    }
}

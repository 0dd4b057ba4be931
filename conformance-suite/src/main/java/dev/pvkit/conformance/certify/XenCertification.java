package dev.pvkit.conformance.certify;

import dev.pvkit.backends.xenblk.Blkback;
import dev.pvkit.conformance.check.CertificationScope;
import dev.pvkit.conformance.check.Check;
import dev.pvkit.conformance.check.CheckEngine;
import dev.pvkit.conformance.dom0.Dom0Backends;
import dev.pvkit.conformance.guest.XenRig;
import dev.pvkit.conformance.guest.XenRigImage;
import dev.pvkit.conformance.guest.XenRigImageBuilder;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.XenEventCodec;
import dev.pvkit.conformance.observe.XenSessions;
import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.sdk.xen.host.HostXen;
import dev.pvkit.spec.PvSpec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * {@code pvkit certify --xen}: Linux's own xen-blkfront and xen-netfront in a PV domU on real Xen (the live rig,
 * {@link XenRig}), served by PVKit's blkback and netback in dom0. The domU writes a pattern to its disk with O_DIRECT
 * and reads it back, flushes and discards, and pings PVKit's responder from sixteen source addresses (a flow each, so
 * that every transmit queue carries some); the back-ends record every handshake step, ring, grant and request, and
 * the host judges the XRING, XEN, XHCALL, XBLK and XNET areas on them.
 */
public final class XenCertification {
    /** The pattern the domU writes (1 MiB of this line repeated): its md5 is compared in the guest and on the disk. */
    static final String PATTERN_LINE = "PVKIT-XEN-PATTERN-0123456789abcdef\n";

    /**
     * xen-blkfront's max_ring_page_order: Linux offers a single-page ring unless told otherwise; 2 has it ask for four
     * pages (blkback offers up to 2^4), so that multi-page rings are used by a real front-end.
     */
    static final int RING_PAGE_ORDER = 2;

    private final PvSpec spec;
    private final List<Check> checks;
    private final Clock clock;

    public XenCertification(PvSpec spec, List<Check> checks, Clock clock) {
        this.spec = spec;
        this.checks = checks;
        this.clock = clock;
    }

    /** The host classes dom0's JVM needs: PVKit's modules and the libraries they call, by where each was loaded from. */
    public static List<Path> dom0Classpath() {
        Set<Path> cp = new LinkedHashSet<>();
        for (Class<?> c : List.of(Dom0Backends.class, Blkback.class, HostXen.class, PvSpec.class, com.sun.jna.Native.class,
                com.fasterxml.jackson.databind.ObjectMapper.class, com.fasterxml.jackson.core.JsonParser.class,
                com.fasterxml.jackson.annotation.JsonProperty.class, org.slf4j.LoggerFactory.class)) {
            cp.add(codeSource(c));
        }
        try {
            cp.add(codeSource(Class.forName("org.slf4j.simple.SimpleLogger")));
        } catch (ClassNotFoundException e) {
            // no binding: SLF4J falls back to no logging, and dom0's JVM log says so
        }
        return new ArrayList<>(cp);
    }

    private static Path codeSource(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            throw new SetupException("cannot tell where " + c.getName() + " was loaded from: " + e.getMessage(), e);
        }
    }

    /**
     * The rig as every Xen command runs it: PVKit's back-ends in dom0 ({@link Dom0Backends}, this JVM's classes), a
     * domU of 2 vCPUs whose blkfront asks for rings of 2^{@link #RING_PAGE_ORDER} pages, and {@code domUArgs} more on
     * the domU's command line.
     */
    public static XenRig.Options rig(XenRigImage image, Path runDirectory, String domUArgs) {
        return XenRig.Options.pvkit(image, runDirectory, Dom0Backends.class.getName(), dom0Classpath())
                .withDomU(2, ("pvkit.ring_order=" + RING_PAGE_ORDER + " " + domUArgs).trim());
    }

    /** Builds (or reuses) the rig images. */
    public static XenRigImage image(Progress progress) throws InterruptedException {
        try {
            return new XenRigImageBuilder().progress(progress::step).build();
        } catch (IOException e) {
            throw new SetupException("cannot build the Xen rig's images: " + e.getMessage(), e);
        }
    }

    public CertificationService.Result run(CertifyOptions o, Progress progress) throws InterruptedException {
        long t0 = System.nanoTime();
        String startedAt = Instant.now().toString();
        Reports.checkWritable(o.reportDir());
        XenRigImage image = image(progress);
        Path dir = CertificationService.tempDir();
        Map<String, String> guest = new LinkedHashMap<>();
        Map<String, String> device = new LinkedHashMap<>();
        String incomplete = null;
        List<List<Event>> devices = new ArrayList<>();
        Path consoleCopy;
        try {
            progress.step("booting Xen under QEMU (TCG): dom0, then a PV domU with Linux's xen-blkfront and xen-netfront");
            XenRig.Result r = XenRig.runOnceMoreAfterACrash(rig(image, dir.resolve("rig"), "").withTimeout(o.timeout()), progress::step);
            if (r.earlierCrash() != null) {
                keep(r.earlierCrash().runDirectory().resolve("hs_err.log"), o.reportDir(), "dom0-jvm-crash.log");
                keep(r.earlierCrash().runDirectory().resolve("domu-console.log"), o.reportDir(), "crashed-run-domu-console.log");
                keep(r.earlierCrash().runDirectory().resolve("serial.log"), o.reportDir(), "crashed-run-xen-serial.log");
            }
            consoleCopy = keep(r.runDirectory().resolve("domu-console.log"), o.reportDir(), "domu-console.log");
            keep(r.serialLog(), o.reportDir(), "xen-serial.log");
            keep(r.runDirectory().resolve("dom0-jvm.log"), o.reportDir(), "dom0-backends.log");
            keep(r.runDirectory().resolve("hs_err.log"), o.reportDir(), "dom0-jvm-crash.log");
            if (r.failure() != null) incomplete = r.failure();
            // The rig boots once more after a run that needs it, so this is the second such run: no verdict either.
            if (incomplete == null && r.needsAnotherBoot()) {
                incomplete = "the emulated machine failed the second boot too: " + r.machineCrash();
            }
            for (String kind : List.of("vbd", "vif")) {
                Path f = r.runDirectory().resolve(kind + ".events.jsonl");
                if (Files.isRegularFile(f)) devices.add(XenEventCodec.read(f));
                else if (incomplete == null) incomplete = "PVKit's back-ends in dom0 wrote no events (see dom0-backends.log)";
            }
            Properties backends = properties(r.runDirectory().resolve("backends.properties"));
            guest.put("hypervisor", image.xenPackage().replaceFirst("\\.deb$", "") + " under QEMU (TCG), PV dom0 and domU");
            guest.put("kernel", image.kernelVersion() + " (Debian's, as a PV domU: its xen-blkfront and xen-netfront are judged)");
            guest.put("qemu", QemuVersion.of());
            boolean onDisk = md5OfPattern().equals(backends.getProperty("vbd.firstMiBMd5"));
            guest.put("workload", workload(r, onDisk));
            guest.put("rig", String.format("%.1f s from QEMU's start to its exit", r.seconds()) + (r.earlierCrash() == null ? ""
                    : "; booted a second time after " + r.earlierCrash().what() + " in the first (crashed-run-*.log, dom0-jvm-crash.log)")
                    + (r.machineCrash() == null || r.needsAnotherBoot() ? ""
                    : "; in the run judged, whose workload passed, " + r.machineCrash() + " (xen-serial.log, domu-console.log)"));
            if (incomplete == null) incomplete = unfinishedWorkload(r, onDisk);
            if (incomplete != null) guest.put("incomplete", incomplete);
            device.put("type", "Xen PV block and network (PVKit's blkback and netback in dom0, through libxenstore, "
                    + "libxengnttab and libxenevtchn)");
            device.put("vbd", "xvda, " + backends.getProperty("vbd.queues", "?") + " ring(s), protocol "
                    + backends.getProperty("vbd.protocol", "?") + ", state " + backends.getProperty("vbd.state", "?"));
            device.put("vif", backends.getProperty("vif.queues", "?") + " queue(s), state " + backends.getProperty("vif.state", "?")
                    + ", responder at " + Dom0Backends.RESPONDER + " answered " + backends.getProperty("responder.answered", "?")
                    + ", packets transmitted per queue " + perQueue(devices.size() > 1 ? devices.get(1) : List.of()));
        } catch (IOException e) {
            throw new SetupException("cannot run the Xen rig: " + e.getMessage(), e);
        } finally {
            CertificationService.deleteQuietly(dir);
        }

        List<DriverSession> sessions = XenSessions.splitDevices(devices);
        progress.step("checking " + sessions.stream().mapToInt(s -> s.events().size()).sum() + " observed events");
        List<RequirementVerdict> verdicts = new CheckEngine(spec, checks).evaluate(
                CertificationScope.requirements(spec, CertificationScope.xenAreas()), sessions, -1);
        if (sessions.isEmpty() && incomplete == null) incomplete = "no front-end was observed";
        CertificationService.Waived waived = CertificationService.applyWaivers(o, verdicts, clock);
        long first = sessions.stream().mapToLong(DriverSession::startMicros).min().orElse(0);
        Certification c = new Certification(CertificationService.TOOL_VERSION, spec.version().toString(), guest, device, startedAt,
                (System.nanoTime() - t0) / 1e9, summaries(sessions, first), waived.verdicts(),
                o.failOn(), waived.terms(), null);
        List<Path> reports = Reports.write(c, spec, o.reportDir());
        return new CertificationService.Result(c, reports, incomplete, consoleCopy, null);
    }

    /** Front-end nodes worth a session's line: what it asked for and how it laid its rings out. */
    private static final List<String> SHOWN_NODES = List.of("protocol", "ring-page-order", "multi-queue-num-queues",
            "feature-persistent", "feature-split-event-channels", "request-rx-copy", "feature-rx-notify", "feature-sg",
            "feature-gso-tcpv4");

    /**
     * One line per session: its device (vbd or vif) where a virtio session shows its ring layout, and the front-end's
     * nodes where a virtio session shows its negotiated features.
     */
    static List<dev.pvkit.conformance.verdict.SessionSummary> summaries(List<DriverSession> sessions, long first) {
        List<dev.pvkit.conformance.verdict.SessionSummary> out = new ArrayList<>();
        for (DriverSession s : sessions) {
            String device = s.events(dev.pvkit.conformance.observe.XenEvent.BackendState.class).stream()
                    .map(dev.pvkit.conformance.observe.XenEvent.BackendState::device).findFirst().orElse("?");
            Map<String, String> nodes = new LinkedHashMap<>();
            for (var n : s.events(dev.pvkit.conformance.observe.XenEvent.FrontendNode.class)) {
                String key = n.key().replaceFirst("^queue-\\d+/", "");
                if (n.value() != null && SHOWN_NODES.contains(key)) nodes.putIfAbsent(key, n.value());
            }
            String features = nodes.isEmpty() ? null : String.join(", ", nodes.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
            out.add(new dev.pvkit.conformance.verdict.SessionSummary(s.label(), "os", features, device, s.events().size(),
                    (s.startMicros() - first) / 1e6, true));
        }
        return out;
    }

    /** Transmitted packets by queue, e.g. "q0 6, q1 4": whether a multi-queue front-end used every queue. */
    static String perQueue(List<Event> vif) {
        java.util.SortedMap<Integer, Integer> n = new java.util.TreeMap<>();
        for (Event e : vif) {
            if (e instanceof dev.pvkit.conformance.observe.XenEvent.NetTransmit t) n.merge(t.queue(), 1, Integer::sum);
        }
        return n.isEmpty() ? "none" : String.join(", ", n.entrySet().stream().map(x -> "q" + x.getKey() + " " + x.getValue()).toList());
    }

    /** The workload's outcome in one line: the domU's own results, and what the back-ends saw. */
    static String workload(XenRig.Result r, boolean patternOnDisk) {
        return String.format("disk %s (1 MiB O_DIRECT pattern read back%s), network %s (pings to the responder, one flow from each of 16 addresses)",
                r.outcome("blk") == null ? "not finished" : r.outcome("blk"),
                patternOnDisk ? ", and found on PVKit's disk" : ", NOT found on PVKit's disk",
                r.outcome("net") == null ? "not finished" : r.outcome("net"));
    }

    /** Why the workload did not do what it should, or null. */
    static String unfinishedWorkload(XenRig.Result r, boolean patternOnDisk) {
        if (r.outcome("blk") == null) return "the domU's workload did not finish";
        if ("ERROR".equals(r.outcome("blk"))) return "the domU's workload made a wrong pattern to write (a fault of its own, not xen-blkfront's)";
        if (!"PASS".equals(r.outcome("blk"))) return "xen-blkfront did not read back what it wrote";
        if (!patternOnDisk) return "the pattern xen-blkfront wrote is not on PVKit's disk";
        if (!"PASS".equals(r.outcome("net"))) return "xen-netfront's pings were not answered";
        return null;
    }

    static String md5OfPattern() {
        byte[] line = PATTERN_LINE.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] mib = new byte[1 << 20];
        for (int i = 0; i < mib.length; i++) mib[i] = line[i % line.length];
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5").digest(mib));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Properties properties(Path f) throws IOException {
        Properties p = new Properties();
        if (Files.isRegularFile(f)) {
            try (InputStream in = Files.newInputStream(f)) {
                p.load(in);
            }
        }
        return p;
    }

    private static Path keep(Path f, Path reportDir, String name) {
        try {
            if (!Files.isRegularFile(f)) return null;
            return Files.copy(f, reportDir.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            return null;
        }
    }
}

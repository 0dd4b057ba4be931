package dev.pvkit.conformance.cli;

import dev.pvkit.backends.blk.BlkOptions;
import dev.pvkit.backends.blk.FileBlockStore;
import dev.pvkit.backends.blk.VirtioBlkDevice;
import dev.pvkit.backends.net.EthernetSwitch;
import dev.pvkit.backends.net.Ipv4;
import dev.pvkit.backends.net.NetOptions;
import dev.pvkit.backends.net.Responder;
import dev.pvkit.backends.net.VirtioNet;
import dev.pvkit.backends.net.VirtioNetDevice;
import dev.pvkit.conformance.certify.Progress;
import dev.pvkit.conformance.certify.SetupException;
import dev.pvkit.conformance.certify.XenCertification;
import dev.pvkit.conformance.guest.Accelerator;
import dev.pvkit.conformance.guest.BlockInfo;
import dev.pvkit.conformance.guest.GuestImage;
import dev.pvkit.conformance.guest.GuestImageBuilder;
import dev.pvkit.conformance.guest.NetInfo;
import dev.pvkit.conformance.guest.QemuCommandLine;
import dev.pvkit.conformance.guest.QemuInstance;
import dev.pvkit.conformance.guest.QemuLauncher;
import dev.pvkit.conformance.guest.QemuOptions;
import dev.pvkit.conformance.guest.VhostUserDevice;
import dev.pvkit.conformance.guest.XenRig;
import dev.pvkit.conformance.guest.XenRigImage;
import dev.pvkit.conformance.workload.BlkPatternCheck;
import dev.pvkit.conformance.workload.BlkReadCheck;
import dev.pvkit.conformance.workload.FeatureNames;
import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.vhostuser.UnsealedFiles;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** {@code pvkit guest …}: the default test guest — build it, or boot it on PVKit backends and watch its drivers work. */
@Command(name = "guest", description = "Build or boot the default test guest (a Debian kernel and a busybox initramfs).",
        mixinStandardHelpOptions = true, subcommands = {GuestCommand.Build.class, GuestCommand.Run.class})
final class GuestCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static GuestImage image(Path kernel, Path initrd, PrintWriter out) {
        if ((kernel == null) != (initrd == null)) throw new UserError("--kernel and --initrd go together");
        try {
            if (kernel != null) {
                if (!Files.isReadable(kernel)) throw new UserError("kernel " + kernel + " is not a readable file");
                if (!Files.isReadable(initrd)) throw new UserError("initrd " + initrd + " is not a readable file");
                return GuestImage.of(kernel, initrd);
            }
            return new GuestImageBuilder().progress(line -> {
                out.println("pvkit: " + line);
                out.flush();
            }).build();
        } catch (IOException e) {
            throw new IllegalStateException("cannot build the default guest image: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while building the guest image", e);
        }
    }

    @Command(name = "build", description = "Build (or find in the cache) the default guest image.", mixinStandardHelpOptions = true)
    static final class Build implements Runnable {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            GuestImage img = image(null, null, out);
            out.printf("kernel %s%ninitrd %s%nkernel version %s%n", img.kernel(), img.initrd(), img.kernelVersion());
            out.flush();
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Boot the guest on a PVKit virtio-blk disk, check data through its own driver, show what it negotiated.")
    static final class Run implements Runnable {
        @Option(names = "--kernel", description = "your own kernel (with --initrd) instead of the default guest")
        Path kernel;

        @Option(names = "--initrd", description = "your own initramfs (it must start the PVKit guest agent)")
        Path initrd;

        @ArgGroup(exclusive = true)
        Disk diskChoice = new Disk();

        /** A fresh disk of {@code --size}, or the user's {@code --disk}: not both (the disk has its own size). */
        static final class Disk {
            @Option(names = "--size", converter = Sizes.ByteSize.class, description = "size of the fresh disk (default 64M)")
            Long size;

            @Option(names = "--disk", paramLabel = "FILE", description = "serve this image file instead of a fresh disk: "
                    + "read-only, and checked by reading only (guest hashes against the file's)")
            Path disk;
        }

        @Option(names = "--qemu-template", paramLabel = "ARGS", description = "QEMU arguments replacing the default "
                + "template, one string split at white space; placeholders @ACCEL@ @CPU@ @MEMORY@ @CPUS@ @KERNEL@ "
                + "@INITRD@ @APPEND@ @CONSOLE_LOG@ @AGENT_SOCKET@ inside arguments, @AGENT@ @DEVICES@ as whole "
                + "arguments; @AGENT@ and @DEVICES@ are required")
        String qemuTemplate;

        @Option(names = "--queues", defaultValue = "1", description = "request queues (default ${DEFAULT-VALUE})")
        int queues;

        @Option(names = "--packed", description = "ask QEMU for packed rings")
        boolean packed;

        @Option(names = "--accel", defaultValue = "auto", description = "auto, kvm or tcg (default ${DEFAULT-VALUE}: KVM only if a probe boot works)")
        Accelerator accelerator;

        @Option(names = "--timeout", defaultValue = "300s", converter = Sizes.Time.class,
                description = "hard limit for the whole run (default ${DEFAULT-VALUE})")
        Duration limit;

        @Option(names = "--allow-unsealed-memory", description = "accept shared memory files that cannot be sealed against shrinking (QEMU memory-backend-file on /dev/shm or "
                + "hugetlbfs) from a trusted front-end; by default PVKit seals unsealed memfds itself and refuses the rest")
        boolean allowUnsealedMemory;

        @Option(names = "--interactive", description = "keep the guest running after the check, until Ctrl-C")
        boolean interactive;

        @Option(names = "--net", description = "also give the guest a PVKit virtio-net port on a switch with a responder"
                + " (10.0.2.2): the guest takes 10.0.2.15 and pings it")
        boolean net;

        @Option(names = "--xen", description = "boot the live Xen rig instead: Xen 4.17 under QEMU (TCG), a PV dom0 running "
                + "PVKit's blkback and netback (or with --xen-backends kernel, the kernel's), and a PV domU whose xen-blkfront "
                + "writes and reads back a pattern and whose xen-netfront pings the responder; takes --timeout")
        boolean xen;

        @Option(names = "--xen-backends", paramLabel = "pvkit|kernel", description = "with --xen: whose back-ends serve the "
                + "domU (default pvkit)")
        String xenBackends;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        /** {@code guest run --xen}: one rig boot, its steps and the domU's workload lines as they come. */
        private void runXen(PrintWriter out) {
            var parsed = spec.commandLine().getParseResult();
            for (var o : parsed.matchedOptions()) {
                if (!List.of("--xen", "--xen-backends", "--timeout").contains(o.longestName())) {
                    throw new UserError(o.longestName() + " does not go with --xen (it takes --xen-backends and --timeout)");
                }
            }
            String which = xenBackends == null ? "pvkit" : xenBackends;
            if (!which.equals("pvkit") && !which.equals("kernel")) throw new UserError("--xen-backends must be pvkit or kernel, got " + which);
            Progress progress = line -> {
                out.println("pvkit: " + line);
                out.flush();
            };
            Path dir = TempDirs.create("pvkit-xen-run", false);
            boolean keep = false;
            try {
                XenRigImage image = XenCertification.image(progress);
                XenRig.Result r = XenRig.run(XenCertification.rig(image, dir, "")
                        .withBackends(which.equals("kernel") ? XenRig.Backends.KERNEL : XenRig.Backends.PVKIT)
                        .withTimeout(limit), progress::step);
                r.domU().forEach(l -> out.println("  " + l));
                out.flush();
                String failed = r.failure() != null ? "the Xen rig did not finish: " + r.failure()
                        : !"PASS".equals(r.outcome("blk")) || !"PASS".equals(r.outcome("net"))
                        ? "the domU's workload failed: disk " + r.outcome("blk") + ", network " + r.outcome("net") : null;
                if (failed != null) {
                    keep = true;
                    throw new IllegalStateException(failed + "; its logs are kept in " + dir + "\n" + r.diagnosis());
                }
                out.printf("Xen rig: xen-blkfront and xen-netfront served by %s's back-ends, disk and network PASS, in %.1f s%n",
                        which.equals("kernel") ? "the kernel" : "PVKit", r.seconds());
            } catch (SetupException e) {
                throw new UserError(e.getMessage());
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } finally {
                if (!keep) TempDirs.delete(dir);
            }
        }

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            if (xen) {
                runXen(out);
                return;
            }
            if (xenBackends != null) throw new UserError("--xen-backends goes with --xen only");
            if (queues < 1 || queues > 16) throw new UserError("--queues must be 1..16, got " + queues);
            Path disk = diskChoice.disk;
            long bytes;
            if (disk != null) {
                bytes = userDiskBytes(disk);
            } else {
                bytes = diskChoice.size == null ? 64 << 20 : diskChoice.size;
                if (bytes < 4 << 20) throw new UserError("--size must be at least 4M");
            }
            List<String> template = template(qemuTemplate);
            GuestImage img = image(kernel, initrd, out);

            Path dir = TempDirs.create("pvkit-guest-run", false);
            AtomicLong acked = new AtomicLong();
            Set<Integer> started = new TreeSet<>();
            // QEMU sharing guest RAM the back-end refuses to map (a memory-backend-file it cannot seal) leaves the
            // guest without its disk: stop the run at once and say why, rather than wait out the time limit.
            AtomicReference<String> refusedMemory = new AtomicReference<>();
            AtomicReference<QemuInstance> running = new AtomicReference<>();
            BackendObserver watch = new BackendObserver() {
                @Override
                public void messageRejected(String request, String rule, String detail, String answer) {
                    if (!rule.equals(UnsealedFiles.REFUSAL_RULE) || !refusedMemory.compareAndSet(null, request + ": " + detail)) return;
                    QemuInstance vm = running.get();
                    if (vm != null) vm.close();
                }

                @Override
                public void featuresAcknowledged(long features) {
                    acked.set(features);
                }

                @Override
                public void queueStarted(int queue) {
                    synchronized (started) {
                        started.add(queue);
                    }
                }
            };
            Path socket = dir.resolve("disk.sock");
            Path netSocket = dir.resolve("net.sock");
            EthernetSwitch sw = new EthernetSwitch();
            if (net) new Responder(sw, 0x0200_0000_00feL, Ipv4.parse("10.0.2.2"), 24); // it plugs itself into the switch
            long t0 = System.nanoTime();
            try (FileBlockStore store = disk != null ? FileBlockStore.open(disk, true)
                    : FileBlockStore.create(dir.resolve("disk.img"), bytes);
                 VhostUserBackend backend = VhostUserBackend.serve(new VirtioBlkDevice(store, options(bytes)), socket,
                         VhostUserBackend.Options.defaults().withWorkers(Math.min(queues, 2)).withObserver(watch)
                                 .withUnsealedFiles(allowUnsealedMemory ? UnsealedFiles.ACCEPT_AT_RISK : UnsealedFiles.SEAL));
                 VirtioNetDevice port = net ? new VirtioNetDevice("guest", sw, NetOptions.defaults()) : null;
                 VhostUserBackend netBackend = net ? VhostUserBackend.serve(port, netSocket, VhostUserBackend.Options.defaults()
                         .withWorkers(1).withUnsealedFiles(allowUnsealedMemory ? UnsealedFiles.ACCEPT_AT_RISK : UnsealedFiles.SEAL)) : null) {
                QemuOptions qemu = QemuOptions.of(img).accelerator(accelerator).timeLimit(limit)
                        .device(VhostUserDevice.blk(socket, queues).withPacked(packed)).runDirectory(dir);
                if (net) {
                    qemu.device(VhostUserDevice.net(netSocket, 1).withPacked(packed)
                            .withProperties(List.of("mac=52:54:00:12:34:56", "host_mtu=1500")));
                }
                if (template != null) qemu.template(template);
                out.println("pvkit: booting the guest (" + img.kernelVersion() + ") on a PVKit virtio-blk disk"
                        + (disk != null ? " serving " + disk + " read-only" : "") + " ...");
                out.flush();
                try (QemuInstance vm = QemuLauncher.launch(qemu)) {
                    running.set(vm);
                    if (refusedMemory.get() != null) vm.close();
                    try {
                        vm.agent().awaitReady(limit);
                    } catch (RuntimeException e) {
                        if (refusedMemory.get() == null) throw e;
                        throw new UserError("the PVKit back-end refused QEMU's guest memory (" + refusedMemory.get()
                                + "); use memory-backend-memfd, as the default template does, or --allow-unsealed-memory "
                                + "for a trusted memory-backend-file");
                    }
                    double bootSeconds = (System.nanoTime() - t0) / 1e9;
                    BlockInfo info = vm.agent().awaitDevice("vda", Duration.ofSeconds(60));
                    Check check = disk != null
                            ? Check.of(BlkReadCheck.run(vm.agent(), "vda", info.sizeBytes(), store, 16, 20261126L))
                            : Check.of(BlkPatternCheck.run(vm.agent(), "vda", info.sizeBytes(), store, 8, 20261126L));
                    String network = null;
                    boolean netPassed = true;
                    if (net) {
                        NetInfo ni = vm.agent().awaitInterface("eth0", Duration.ofSeconds(60));
                        vm.agent().netUp("eth0", "10.0.2.15/24");
                        int answers = vm.agent().netPing("10.0.2.2", 5, 56);
                        netPassed = answers == 5 && port.counters().findings().isEmpty();
                        network = String.format("virtio-net (%s, %s ring, mergeable buffers %s), 5 pings to the responder, %d answered;"
                                        + " %d frames out, %d in; header findings %s", ni.driver(),
                                ni.hasFeature(VirtioFeatures.RING_PACKED) ? "packed" : "split",
                                ni.hasFeature(VirtioNet.F_MRG_RXBUF) ? "on" : "off", answers, port.counters().txFrames(),
                                port.counters().rxFrames(), port.counters().findings().isEmpty() ? "none" : port.counters().findings());
                    }
                    long f = acked.get();
                    out.println();
                    out.println("PVKit guest run");
                    out.printf("  guest:   Linux %s, accelerator %s, agent ready after %.1f s%n", img.kernelVersion(),
                            vm.accelerator().name().toLowerCase(Locale.ROOT), bootSeconds);
                    out.printf("  device:  virtio-blk, %s, %d queue%s offered, served by PVKit on %s%n",
                            disk != null ? disk + " (" + Sizes.human(bytes) + ", read-only)" : Sizes.human(bytes) + " fresh disk",
                            queues, queues == 1 ? "" : "s", socket);
                    out.printf("  driver:  negotiated %s%n", String.join(", ", FeatureNames.of(f, "virtio.blk.feature")));
                    synchronized (started) {
                        out.printf("           %s ring, event index %s, indirect descriptors %s, queues started %s; guest sees %d MiB, %d queue%s%n",
                                VirtioFeatures.has(f, VirtioFeatures.RING_PACKED) ? "packed" : "split",
                                VirtioFeatures.has(f, VirtioFeatures.EVENT_IDX) ? "on" : "off",
                                VirtioFeatures.has(f, VirtioFeatures.INDIRECT_DESC) ? "on" : "off", started,
                                info.sizeBytes() >> 20, info.queues(), info.queues() == 1 ? "" : "s");
                    }
                    out.printf("  qemu:    %s%n", String.join(" ", vm.command()));
                    out.printf("  check:   %s%n", check.summary());
                    if (network != null) out.printf("  network: %s%n", network);
                    out.printf("  result:  %s%n", check.passed() && netPassed ? "PASS" : "FAIL");
                    out.flush();
                    if (interactive) waitForInterrupt(out, vm);
                    else vm.agent().poweroff();
                    if (!check.passed()) throw new IllegalStateException("data check failed: " + check.details());
                    if (!netPassed) throw new IllegalStateException("network check failed: " + network);
                }
            } catch (IOException e) {
                throw new IllegalStateException(e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                TempDirs.delete(dir);
            }
        }

        private BlkOptions options(long bytes) {
            return BlkOptions.defaults(bytes).withQueues(queues).withReadOnly(diskChoice.disk != null);
        }

        /** The data check's outcome, whichever check ran. */
        private record Check(boolean passed, String summary, String details) {
            static Check of(BlkPatternCheck.Result r) {
                return new Check(r.passed(), r.summary(), r.writes().toString());
            }

            static Check of(BlkReadCheck.Result r) {
                return new Check(r.passed(), r.summary(), r.reads().toString());
            }
        }

        /** The capacity a user's image gives (whole sectors), or a user error for a path that is no usable image. */
        static long userDiskBytes(Path disk) {
            if (!Files.exists(disk)) throw new UserError("disk " + disk + " does not exist");
            if (!Files.isRegularFile(disk)) throw new UserError("disk " + disk + " is not a regular file");
            if (!Files.isReadable(disk)) throw new UserError("disk " + disk + " is not readable");
            long size;
            try {
                size = Files.size(disk);
            } catch (IOException e) {
                throw new UserError("cannot read the size of " + disk + ": " + e.getMessage());
            }
            long bytes = size / 512 * 512;
            if (bytes == 0) throw new UserError("disk " + disk + " is smaller than one 512-byte sector");
            return bytes;
        }

        /** The user's template, checked for what the run needs; null for the default. */
        static List<String> template(String text) {
            return templateFor(text, false);
        }

        /** The user's template, checked; a passive run needs no agent, only the device. */
        static List<String> templateFor(String text, boolean passive) {
            if (text == null) return null;
            try {
                return QemuCommandLine.checkedTemplate(text, passive);
            } catch (IllegalArgumentException e) {
                throw new UserError("--qemu-template" + e.getMessage());
            }
        }

        private static void waitForInterrupt(PrintWriter out, QemuInstance vm) throws InterruptedException {
            out.printf("pvkit: guest left running (console log %s); Ctrl-C stops it%n", vm.consoleLog());
            out.flush();
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            while (vm.isAlive() && !stop.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
                Thread.onSpinWait();
            }
        }
    }
}

package dev.pvkit.conformance.cli;

import dev.pvkit.backends.blk.BlkOptions;
import dev.pvkit.backends.blk.BlockStore;
import dev.pvkit.backends.blk.FileBlockStore;
import dev.pvkit.backends.blk.VirtioBlkDevice;
import dev.pvkit.backends.net.EthernetSwitch;
import dev.pvkit.backends.net.Ipv4;
import dev.pvkit.backends.net.NetOptions;
import dev.pvkit.backends.net.Responder;
import dev.pvkit.backends.net.TapPort;
import dev.pvkit.backends.net.VirtioNetDevice;
import dev.pvkit.sdk.vhostuser.UnsealedFiles;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/** {@code pvkit backend …}: serve a reference device on a vhost-user socket until interrupted. */
@Command(name = "backend", description = "Serve a PVKit reference backend on a vhost-user socket.",
        mixinStandardHelpOptions = true, subcommands = {BackendCommand.Blk.class, BackendCommand.Net.class})
final class BackendCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "blk", description = "Serve a virtio-blk disk backed by an image file.", mixinStandardHelpOptions = true)
    static final class Blk implements Runnable {
        @Option(names = "--socket", required = true, description = "vhost-user socket to create (owner-only)")
        Path socket;

        @Option(names = "--image", required = true, description = "raw disk image (created with --size if missing)")
        Path image;

        @Option(names = "--size", converter = Sizes.ByteSize.class, description = "image size when creating it, e.g. 1G")
        Long size;

        @Option(names = "--read-only", description = "refuse writes (offers VIRTIO_BLK_F_RO)")
        boolean readOnly;

        /** Null: {@link BlkOptions#queuesForThisHost()}, so a QEMU guest with default device options fits. */
        @Option(names = "--queues", description = "request queues offered (default: this host's CPU count, at least "
                + BlkOptions.MIN_HOST_QUEUES + ", at most " + BlkOptions.MAX_HOST_QUEUES + "; QEMU's vhost-user-blk-pci "
                + "asks for one per vCPU unless given num-queues)")
        Integer queues;

        @Option(names = "--io-threads", defaultValue = "0", description = "serve requests on this many I/O threads, so a slow"
                + " disk keeps that many in flight; 0: on each queue's worker, fastest on the page cache (default ${DEFAULT-VALUE})")
        int ioThreads;

        @Option(names = "--poll-max", defaultValue = "64us", converter = Sizes.Time.class, description = "the most a worker"
                + " polls its idle rings before it sleeps; adaptive, so an idle guest costs nothing; 0 never polls, for a"
                + " host short of CPUs (default ${DEFAULT-VALUE}, at most 1ms)")
        java.time.Duration pollMax;

        @ArgGroup(exclusive = true)
        Rings rings = new Rings();

        /** Which rings to offer: {@code --packed} or {@code --split}, not both. */
        static final class Rings {
            @Option(names = "--packed", description = "offer packed rings (the default)")
            boolean packed;

            @Option(names = "--split", description = "offer split rings only")
            boolean split;
        }

        @Option(names = "--allow-unsealed-memory", description = "accept shared memory files that cannot be sealed against shrinking (QEMU memory-backend-file on /dev/shm or "
                + "hugetlbfs) from a trusted front-end; by default PVKit seals unsealed memfds itself and refuses the rest")
        boolean allowUnsealedMemory;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            boolean split = rings.split;
            int queues = queues();
            if (queues < 1 || queues > 64) throw new UserError("--queues must be 1..64, got " + queues);
            if (ioThreads < 0 || ioThreads > 256) throw new UserError("--io-threads must be 0..256, got " + ioThreads);
            if (pollMax.compareTo(java.time.Duration.ofMillis(1)) > 0) throw new UserError("--poll-max must be at most 1ms, got " + Sizes.human(pollMax));
            BlockStore store = open();
            try {
                long capacity = store.size() / 512 * 512;
                if (capacity == 0) throw new UserError("image " + image + " is smaller than one 512-byte sector");
                BlkOptions options = BlkOptions.defaults(capacity).withReadOnly(readOnly).withQueues(queues).withPacked(!split);
                CountDownLatch stop = new CountDownLatch(1);
                VirtioBlkDevice device = new VirtioBlkDevice(store, options);
                if (ioThreads > 0) device.useIoThreads(ioThreads);
                try (VhostUserBackend backend = VhostUserBackend.serve(device, socket,
                        VhostUserBackend.Options.defaults().withWorkers(Math.min(queues, Runtime.getRuntime().availableProcessors()))
                                .withPollMax(pollMax)
                                .withUnsealedFiles(allowUnsealedMemory ? UnsealedFiles.ACCEPT_AT_RISK : UnsealedFiles.SEAL))) {
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                        backend.close();
                        stop.countDown();
                    }));
                    spec.commandLine().getOut().printf("pvkit: serving virtio-blk on %s (image %s, %d sectors, %d queue%s, %s%s); Ctrl-C stops%n",
                            socket, image, capacity / 512, queues, queues == 1 ? "" : "s", split ? "split rings" : "split and packed rings",
                            readOnly ? ", read-only" : "");
                    spec.commandLine().getOut().flush();
                    stop.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } finally {
                try {
                    store.close();
                } catch (IOException ignored) {
                    // exiting anyway
                }
            }
        }

        /** The request queues to offer: {@code --queues}, or as many as a guest of this host likely asks for. */
        int queues() {
            return queues != null ? queues : BlkOptions.queuesForThisHost();
        }

        private BlockStore open() {
            try {
                if (Files.exists(image)) {
                    if (!Files.isRegularFile(image)) throw new UserError(image + " is not a regular file");
                    return FileBlockStore.open(image, readOnly);
                }
                if (size == null) throw new UserError("image " + image + " does not exist (give --size to create it)");
                if (readOnly) throw new UserError("cannot create " + image + " read-only");
                return FileBlockStore.create(image, size);
            } catch (IOException e) {
                throw new UserError("cannot open " + image + ": " + e.getMessage());
            }
        }
    }

    @Command(name = "net", description = "Serve virtio-net ports of one Ethernet switch, one vhost-user socket each, with a"
            + " responder on the switch (ARP, ICMP echo, UDP echo on port 7, DHCP).", mixinStandardHelpOptions = true)
    static final class Net implements Runnable {
        @Option(names = "--socket", required = true, paramLabel = "PATH", description = "vhost-user socket to create for a"
                + " switch port; repeat for more ports (guests on them reach each other)")
        List<Path> sockets;

        @Option(names = "--responder", defaultValue = "10.0.2.2/24", paramLabel = "ADDR/PREFIX", description = "the"
                + " responder's address; DHCP leases from .100 of its subnet (default ${DEFAULT-VALUE}); 'none' for no responder")
        String responder;

        @Option(names = "--mtu", defaultValue = "1500", description = "MTU offered (VIRTIO_NET_F_MTU; default ${DEFAULT-VALUE})")
        int mtu;

        @Option(names = "--split", description = "offer split rings only (default: split and packed)")
        boolean split;

        @Option(names = "--no-mergeable-rx", description = "do not offer VIRTIO_NET_F_MRG_RXBUF")
        boolean noMergeable;

        @Option(names = "--queue-pairs", defaultValue = "1", paramLabel = "N", description = "receive/transmit queue pairs per"
                + " port, 1.." + NetOptions.MAX_QUEUE_PAIRS + "; more than one offers VIRTIO_NET_F_MQ (QEMU: -netdev"
                + " vhost-user,queues=N and -device virtio-net-pci,mq=on; default ${DEFAULT-VALUE})")
        int queuePairs;

        @Option(names = "--tap", paramLabel = "NAME", description = "also plug a new TAP interface NAME into the switch (needs"
                + " CAP_NET_ADMIN); move it into a network namespace of your own (ip link set NAME netns NS) before giving it"
                + " an address, so guests reach that namespace and never the host's network")
        String tap;

        @Option(names = "--allow-unsealed-memory", description = "accept shared memory files that cannot be sealed against"
                + " shrinking from a trusted front-end (DPDK's virtio-user seals its memfd against further seals); by default"
                + " PVKit seals unsealed memfds itself and refuses the rest")
        boolean allowUnsealedMemory;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            if (sockets.size() > 16) throw new UserError("at most 16 --socket ports, got " + sockets.size());
            if (new java.util.HashSet<>(sockets).size() != sockets.size()) throw new UserError("a --socket is given twice");
            if (mtu < 68 || mtu > 9216) throw new UserError("--mtu must be 68..9216, got " + mtu);
            if (queuePairs < 1 || queuePairs > NetOptions.MAX_QUEUE_PAIRS) {
                throw new UserError("--queue-pairs must be 1.." + NetOptions.MAX_QUEUE_PAIRS + ", got " + queuePairs);
            }
            if (tap != null && !tap.matches("[A-Za-z0-9_.-]{1,15}")) throw new UserError("--tap must be an interface name of 1..15 letters, digits, _ . -, got " + tap);
            EthernetSwitch sw = new EthernetSwitch();
            String responderLine = "no responder";
            if (!responder.equals("none")) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+\\.\\d+\\.\\d+\\.\\d+)/(\\d+)").matcher(responder);
                if (!m.matches()) throw new UserError("--responder must be ADDR/PREFIX (e.g. 10.0.2.2/24) or none, got " + responder);
                int prefix = Integer.parseInt(m.group(2));
                if (prefix < 8 || prefix > 30) throw new UserError("--responder prefix must be 8..30, got " + prefix);
                int address;
                try {
                    address = Ipv4.parse(m.group(1));
                } catch (IllegalArgumentException e) {
                    throw new UserError("--responder: " + e.getMessage());
                }
                new Responder(sw, 0x0200_0000_00feL, address, prefix);
                responderLine = "responder " + responder;
            }
            List<AutoCloseable> open = new ArrayList<>();
            CountDownLatch stop = new CountDownLatch(1);
            try {
                for (int i = 0; i < sockets.size(); i++) {
                    NetOptions o = NetOptions.defaults().withMac(0x5254_0012_3456L + i).withMtu(mtu).withPacked(!split)
                            .withMergeableRx(!noMergeable).withQueuePairs(queuePairs);
                    VirtioNetDevice device = new VirtioNetDevice(sockets.get(i).getFileName().toString(), sw, o);
                    open.add(device);
                    open.add(VhostUserBackend.serve(device, sockets.get(i), VhostUserBackend.Options.defaults().withWorkers(2)
                            .withUnsealedFiles(allowUnsealedMemory ? UnsealedFiles.ACCEPT_AT_RISK : UnsealedFiles.SEAL)));
                }
                if (tap != null) {
                    try {
                        open.add(TapPort.open(tap, sw));
                    } catch (IllegalStateException e) {
                        throw new UserError("--tap " + tap + ": " + e.getMessage());
                    }
                }
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    closeAll(open);
                    stop.countDown();
                }));
                spec.commandLine().getOut().printf("pvkit: serving virtio-net on %s (one switch, %s, mtu %d, %s, %d queue pair(s)%s);"
                        + " Ctrl-C stops%n", sockets, responderLine, mtu, split ? "split rings" : "split and packed rings", queuePairs,
                        tap != null ? ", TAP " + tap : "");
                spec.commandLine().getOut().flush();
                stop.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                closeAll(open);
            }
        }

        /** Back-ends before devices, in reverse order of opening; closing twice is harmless. */
        private static void closeAll(List<AutoCloseable> open) {
            for (int i = open.size() - 1; i >= 0; i--) {
                try {
                    open.get(i).close();
                } catch (Exception ignored) {
                    // exiting anyway
                }
            }
        }
    }
}

package dev.pvkit.examples.rng;

import dev.pvkit.sdk.vhostuser.VhostUserBackend;

import java.nio.file.Path;

/**
 * Serves an {@link EntropyDevice} by hand: {@code EntropyDeviceMain [SOCKET]} (default {@code /tmp/pvkit-rng.sock})
 * listens on the vhost-user socket until Ctrl-C; start QEMU with the arguments it prints (README.md).
 */
public final class EntropyDeviceMain {
    private EntropyDeviceMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length > 1 || args.length == 1 && args[0].startsWith("-")) {
            System.err.println("usage: EntropyDeviceMain [SOCKET]   (default /tmp/pvkit-rng.sock)");
            System.exit(2);
        }
        Path socket = Path.of(args.length == 1 ? args[0] : "/tmp/pvkit-rng.sock").toAbsolutePath();
        VhostUserBackend backend = VhostUserBackend.serve(new EntropyDevice(), socket);
        Runtime.getRuntime().addShutdownHook(new Thread(backend::close)); // Ctrl-C: end the session, remove the socket
        System.out.println("virtio-rng on " + socket + "; give QEMU (guest RAM shared: memory-backend-memfd,share=on):");
        System.out.println("  -chardev socket,id=rng0,path=" + socket + " -device vhost-user-rng-pci,chardev=rng0");
        System.out.println("Ctrl-C stops.");
        Thread.currentThread().join(); // serve until the JVM is stopped
    }
}

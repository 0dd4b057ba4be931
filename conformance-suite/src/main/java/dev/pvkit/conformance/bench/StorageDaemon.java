package dev.pvkit.conformance.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A qemu-storage-daemon exporting one block node as vhost-user-blk: the C back-end PVKit compares itself with.
 * Closing it kills the daemon (and waits for it).
 */
public final class StorageDaemon implements AutoCloseable {

    public static final Path BINARY = Path.of("/usr/bin/qemu-storage-daemon");

    private final Process process;
    private final Path socket;
    private final Path log;

    private StorageDaemon(Process process, Path socket, Path log) {
        this.process = process;
        this.socket = socket;
        this.log = log;
    }

    /** Exports {@code imageFile} (raw) on {@code socket}. */
    public static StorageDaemon file(Path imageFile, Path socket) {
        return start(List.of("--blockdev", "driver=file,node-name=file0,filename=" + imageFile + ",cache.direct=off",
                "--blockdev", "driver=raw,node-name=disk0,file=file0"), socket);
    }

    /** Exports a null device of {@code bytes} (reads return zeroes, writes vanish): the back-end's own cost. */
    public static StorageDaemon nullDevice(long bytes, Path socket) {
        return start(List.of("--blockdev", "driver=null-co,node-name=disk0,size=" + bytes), socket);
    }

    private static StorageDaemon start(List<String> blockdev, Path socket) {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException(BINARY + " is missing: install Debian's qemu-system-common");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(BINARY.toString());
        cmd.addAll(blockdev);
        cmd.add("--export");
        cmd.add("type=vhost-user-blk,id=exp0,node-name=disk0,addr.type=unix,addr.path=" + socket + ",writable=on");
        try {
            Files.deleteIfExists(socket);
            Path log = Files.createTempFile("pvkit-qsd", ".log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            StorageDaemon d = new StorageDaemon(p, socket, log);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.exists(socket)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    d.close();
                    throw new IllegalStateException("qemu-storage-daemon did not start: " + Files.readString(log));
                }
                Thread.sleep(10);
            }
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start qemu-storage-daemon", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting qemu-storage-daemon", e);
        }
    }

    public Path socket() {
        return socket;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(log);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException ignored) {
            // the log is only a temporary file
        }
    }
}

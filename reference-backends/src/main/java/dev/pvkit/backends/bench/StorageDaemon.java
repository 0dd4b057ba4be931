package dev.pvkit.backends.bench;

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
    private final Path pidFile;

    private StorageDaemon(Process process, Path socket, Path log, Path pidFile) {
        this.process = process;
        this.socket = socket;
        this.log = log;
        this.pidFile = pidFile;
    }

    /** Exports {@code imageFile} (raw) on {@code socket}. */
    public static StorageDaemon file(Path imageFile, Path socket) {
        return file(imageFile, socket, 1);
    }

    /** Exports {@code imageFile} (raw) on {@code socket} with {@code queues} request queues. */
    public static StorageDaemon file(Path imageFile, Path socket, int queues) {
        return start(List.of("--blockdev", "driver=file,node-name=file0,filename=" + imageFile + ",cache.direct=off",
                "--blockdev", "driver=raw,node-name=disk0,file=file0"), socket, queues);
    }

    /** Exports a null device of {@code bytes} (reads return zeroes, writes vanish): the back-end's own cost. */
    public static StorageDaemon nullDevice(long bytes, Path socket) {
        return nullDevice(bytes, socket, 1);
    }

    /**
     * A null device with {@code queues} request queues. {@code read-zeroes=on}: QEMU's null-co otherwise leaves a
     * read's buffer as it was (its default, for speed), which is less work than any disk, PVKit's null store
     * included, does for a read; with it, both sides fill the guest's buffer.
     */
    public static StorageDaemon nullDevice(long bytes, Path socket, int queues) {
        return start(List.of("--blockdev", "driver=null-co,node-name=disk0,size=" + bytes + ",read-zeroes=on"), socket, queues);
    }

    private static StorageDaemon start(List<String> blockdev, Path socket, int queues) {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException(BINARY + " is missing: install Debian's qemu-system-common");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(BINARY.toString());
        cmd.addAll(blockdev);
        cmd.add("--export");
        cmd.add("type=vhost-user-blk,id=exp0,node-name=disk0,addr.type=unix,addr.path=" + socket + ",writable=on,num-queues=" + queues);
        try {
            Files.deleteIfExists(socket);
            Path log = Files.createTempFile("pvkit-qsd", ".log");
            // Ready is when the pid file holds the pid: qsd writes it after its exports are set up, and from then on
            // clients may connect (qemu-storage-daemon(1)). The socket file appears earlier, at bind(), a moment
            // before qsd listens: a connect in between is refused.
            Path pidFile = Files.createTempFile("pvkit-qsd", ".pid");
            Files.delete(pidFile);
            cmd.add("--pidfile");
            cmd.add(pidFile.toString());
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            StorageDaemon d = new StorageDaemon(p, socket, log, pidFile);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!holdsPid(pidFile, p.pid())) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    d.close();
                    throw new IllegalStateException("qemu-storage-daemon did not start: " + Files.readString(log, java.nio.charset.StandardCharsets.ISO_8859_1));
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

    /** True once {@code pidFile} holds {@code pid} and its newline (qsd creates the file first, then writes it). */
    static boolean holdsPid(Path pidFile, long pid) {
        try {
            return Files.readString(pidFile).equals(pid + "\n");
        } catch (IOException e) {
            return false; // not there yet
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
            Files.deleteIfExists(pidFile); // qsd removes it when it exits cleanly, not when killed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException ignored) {
            // the log is only a temporary file
        }
    }
}

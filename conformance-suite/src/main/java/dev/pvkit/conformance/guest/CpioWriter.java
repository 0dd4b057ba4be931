package dev.pvkit.conformance.guest;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a "newc" (SVR4, no CRC) cpio archive, the format the Linux kernel unpacks into its initramfs. Entries
 * are owned by root with mtime 0, so the same inputs always give the same bytes (the image cache relies on it).
 */
public final class CpioWriter implements AutoCloseable {
    private static final byte[] ZEROS = new byte[4];
    private final OutputStream out;
    private int nextInode = 1;
    private boolean finished;

    public CpioWriter(OutputStream out) {
        this.out = out;
    }

    public void directory(String name) throws IOException {
        entry(name, 0040755, 2, 0, 0, new byte[0]);
    }

    public void file(String name, int permissions, byte[] data) throws IOException {
        entry(name, 0100000 | (permissions & 07777), 1, 0, 0, data);
    }

    public void symlink(String name, String target) throws IOException {
        entry(name, 0120777, 1, 0, 0, target.getBytes(StandardCharsets.UTF_8));
    }

    public void charDevice(String name, int major, int minor) throws IOException {
        entry(name, 0020600, 1, major, minor, new byte[0]);
    }

    /** Writes the trailer entry; the stream itself is left open for the caller. */
    public void finish() throws IOException {
        if (finished) return;
        finished = true;
        nextInode = 0;
        entry("TRAILER!!!", 0, 1, 0, 0, new byte[0]);
        out.flush();
    }

    @Override
    public void close() throws IOException {
        finish();
    }

    private void entry(String name, int mode, int nlink, int rdevMajor, int rdevMinor, byte[] data) throws IOException {
        if (finished && nextInode != 0) throw new IllegalStateException("archive already finished");
        if (name.startsWith("/")) throw new IllegalArgumentException("cpio names are relative: " + name);
        byte[] n = (name + "\0").getBytes(StandardCharsets.UTF_8);
        int inode = nextInode == 0 ? 0 : nextInode++;
        // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
        StringBuilder h = new StringBuilder(110).append("070701");
        for (long field : new long[]{inode, mode, 0, 0, nlink, 0, data.length, 0, 0, rdevMajor, rdevMinor, n.length, 0}) {
            h.append(String.format("%08x", field));
        }
        out.write(h.toString().getBytes(StandardCharsets.US_ASCII));
        out.write(n);
        pad(110 + n.length);
        out.write(data);
        pad(data.length);
    }

    private void pad(long length) throws IOException {
        out.write(ZEROS, 0, (int) ((4 - length % 4) % 4));
    }
}

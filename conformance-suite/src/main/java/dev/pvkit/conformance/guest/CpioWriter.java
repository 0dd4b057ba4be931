package dev.pvkit.conformance.guest;

import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a "newc" (SVR4, no CRC) cpio archive, the format the Linux kernel unpacks into its initramfs, through
 * commons-compress's {@link CpioArchiveOutputStream}. This class only fixes what makes the archive reproducible and
 * fit for an initramfs: relative names, entries owned by root with mtime 0 and inodes numbered in order, so the same
 * inputs always give the same bytes (the image cache relies on it).
 */
public final class CpioWriter implements AutoCloseable {
    private final CpioArchiveOutputStream cpio;
    private long nextInode = 1;

    /** {@code out} stays open when this writer is closed: the caller owns it. */
    public CpioWriter(OutputStream out) {
        OutputStream keepOpen = new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                out.flush();
            }
        };
        this.cpio = new CpioArchiveOutputStream(keepOpen, CpioConstants.FORMAT_NEW, CpioConstants.BLOCK_SIZE,
                StandardCharsets.UTF_8.name());
    }

    public void directory(String name) throws IOException {
        entry(name, CpioConstants.C_ISDIR | 0755, 2, 0, 0, new byte[0]);
    }

    public void file(String name, int permissions, byte[] data) throws IOException {
        entry(name, CpioConstants.C_ISREG | (permissions & 07777), 1, 0, 0, data);
    }

    public void symlink(String name, String target) throws IOException {
        entry(name, CpioConstants.C_ISLNK | 0777, 1, 0, 0, target.getBytes(StandardCharsets.UTF_8));
    }

    public void charDevice(String name, int major, int minor) throws IOException {
        entry(name, CpioConstants.C_ISCHR | 0600, 1, major, minor, new byte[0]);
    }

    /** Writes the trailer; the underlying stream is left open for the caller. */
    public void finish() throws IOException {
        cpio.finish();
    }

    @Override
    public void close() throws IOException {
        cpio.close();
    }

    private void entry(String name, long mode, int links, int rdevMajor, int rdevMinor, byte[] data) throws IOException {
        if (name.startsWith("/")) throw new IllegalArgumentException("cpio names are relative: " + name);
        CpioArchiveEntry e = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name);
        e.setMode(mode);
        e.setInode(nextInode++);
        e.setNumberOfLinks(links);
        e.setTime(0);
        e.setUID(0);
        e.setGID(0);
        e.setSize(data.length);
        e.setRemoteDeviceMaj(rdevMajor);
        e.setRemoteDeviceMin(rdevMinor);
        cpio.putArchiveEntry(e);
        cpio.write(data);
        cpio.closeArchiveEntry();
    }
}

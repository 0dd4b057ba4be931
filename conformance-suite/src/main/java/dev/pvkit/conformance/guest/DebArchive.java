package dev.pvkit.conformance.guest;

import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

/**
 * Unpacks a Debian package in Java: a .deb is an ar archive whose {@code data.tar.xz} (or {@code .gz}, or plain
 * {@code .tar}) holds the files. No dpkg-deb, so the harness also works on hosts without Debian's tools once the
 * .deb files are cached.
 */
public final class DebArchive {
    private DebArchive() {
    }

    /**
     * Extracts the regular files and symbolic links of {@code deb}'s data archive whose path (without a leading
     * {@code ./}) {@code wanted} accepts, into {@code dest}. Returns the extracted relative paths.
     */
    public static List<String> extract(Path deb, Path dest, Predicate<String> wanted) throws IOException {
        Path root = dest.toAbsolutePath().normalize();
        List<String> out = new ArrayList<>();
        forEachEntry(deb, (path, mode, kind, link, data) -> {
            // Directories are made for what they hold; hard links are not needed from a package.
            if ((kind != Kind.FILE && kind != Kind.SYMLINK) || !wanted.test(path)) return;
            Path target = root.resolve(path).normalize();
            if (!target.startsWith(root)) throw new IOException("entry escapes the target directory: " + path);
            Files.createDirectories(target.getParent());
            Files.deleteIfExists(target);
            if (kind == Kind.SYMLINK) Files.createSymbolicLink(target, Path.of(link));
            else Files.copy(data, target);
            out.add(path);
        });
        return out;
    }

    /** One entry of a package's data archive, as {@link #forEachEntry} gives it. */
    public interface EntryVisitor {
        /**
         * @param path   the entry's path without a leading {@code ./}
         * @param mode   its permission bits
         * @param kind   what it is
         * @param link   a symbolic link's target, else null
         * @param data   a regular file's bytes (read them before returning), else an empty stream
         */
        void visit(String path, int mode, Kind kind, String link, InputStream data) throws IOException;
    }

    /**
     * The kinds of entries {@link #forEachEntry} passes on (devices and fifos are skipped). A hard link's {@code link}
     * is the path of the file it shares, given earlier in the same archive (Debian's xenstore-read and its kin are such).
     */
    public enum Kind { DIRECTORY, FILE, SYMLINK, HARDLINK }

    /**
     * Streams every directory, regular file, symbolic link and hard link of {@code deb}'s data archive, with its
     * permission bits, to {@code visitor}, in archive order (a directory before what it holds), without writing
     * anything to disk. An entry whose path climbs out of the archive's root ({@code ..}) fails the whole package.
     */
    public static void forEachEntry(Path deb, EntryVisitor visitor) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(deb), 1 << 16);
             ArArchiveInputStream ar = new ArArchiveInputStream(raw)) {
            ArArchiveEntry e;
            while ((e = ar.getNextEntry()) != null) {
                if (!e.getName().startsWith("data.tar")) continue;
                try (TarArchiveInputStream tar = new TarArchiveInputStream(decompress(e.getName(), ar))) {
                    TarArchiveEntry t;
                    while ((t = tar.getNextEntry()) != null) {
                        String path = t.getName().replaceFirst("^\\./", "").replaceFirst("^/", "").replaceFirst("/$", "");
                        if (path.isEmpty()) continue;
                        if (("/" + path + "/").contains("/../")) throw new IOException("entry escapes the package's root: " + t.getName());
                        int mode = t.getMode() & 07777;
                        if (t.isDirectory()) visitor.visit(path, mode, Kind.DIRECTORY, null, InputStream.nullInputStream());
                        else if (t.isSymbolicLink()) visitor.visit(path, mode, Kind.SYMLINK, t.getLinkName(), InputStream.nullInputStream());
                        else if (t.isLink()) visitor.visit(path, mode, Kind.HARDLINK,
                                t.getLinkName().replaceFirst("^\\./", "").replaceFirst("^/", ""), InputStream.nullInputStream());
                        else if (t.isFile()) visitor.visit(path, mode, Kind.FILE, null, tar);
                    }
                    return;
                }
            }
        }
        throw new IOException(deb + " has no data.tar member; is it a Debian package?");
    }

    private static InputStream decompress(String member, InputStream in) throws IOException {
        InputStream shielded = new java.io.FilterInputStream(in) {
            @Override
            public void close() {
                // closing the tar must not close the ar stream around it
            }
        };
        if (member.equals("data.tar.xz")) return new XZInputStream(shielded);
        if (member.equals("data.tar.gz")) return new GZIPInputStream(shielded, 1 << 16);
        if (member.equals("data.tar")) return shielded;
        throw new IOException("unsupported compression of " + member + " (supported: xz, gz, none)");
    }
}

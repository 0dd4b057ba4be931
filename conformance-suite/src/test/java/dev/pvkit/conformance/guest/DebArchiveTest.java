package dev.pvkit.conformance.guest;

import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DebArchiveTest {
    @TempDir
    Path tmp;

    @Test
    void extractsSelectedFilesAndLinksFromXzDataTar() throws IOException {
        byte[] module = PatternGenerator.bytes(9, 5000);
        Path deb = tmp.resolve("tiny_1.0_amd64.deb");
        writeDeb(deb, "xz", tar(t -> {
            dir(t, "./lib/modules/6.1.0-1-amd64/");
            file(t, "./lib/modules/6.1.0-1-amd64/kernel/virtio_blk.ko", module);
            file(t, "./boot/vmlinuz-6.1.0-1-amd64", "kernel".getBytes(StandardCharsets.US_ASCII));
            file(t, "./usr/share/doc/tiny/copyright", "text".getBytes(StandardCharsets.US_ASCII));
            TarArchiveEntry link = new TarArchiveEntry("./lib/modules/6.1.0-1-amd64/build", TarArchiveEntry.LF_SYMLINK);
            link.setLinkName("/usr/src/linux");
            t.putArchiveEntry(link);
            t.closeArchiveEntry();
        }));

        Path out = tmp.resolve("out");
        var got = DebArchive.extract(deb, out, p -> p.startsWith("boot/") || p.startsWith("lib/modules/"));

        assertThat(got).containsExactly("lib/modules/6.1.0-1-amd64/kernel/virtio_blk.ko",
                "boot/vmlinuz-6.1.0-1-amd64", "lib/modules/6.1.0-1-amd64/build");
        assertThat(out.resolve("lib/modules/6.1.0-1-amd64/kernel/virtio_blk.ko")).hasBinaryContent(module);
        assertThat(out.resolve("boot/vmlinuz-6.1.0-1-amd64")).hasContent("kernel");
        assertThat(Files.readSymbolicLink(out.resolve("lib/modules/6.1.0-1-amd64/build"))).isEqualTo(Path.of("/usr/src/linux"));
        assertThat(out.resolve("usr")).doesNotExist();
    }

    @Test
    void readsGzipDataTarToo() throws IOException {
        Path deb = tmp.resolve("gz.deb");
        writeDeb(deb, "gz", tar(t -> file(t, "./bin/busybox", new byte[]{1, 2, 3})));
        DebArchive.extract(deb, tmp.resolve("o"), p -> true);
        assertThat(tmp.resolve("o/bin/busybox")).hasBinaryContent(new byte[]{1, 2, 3});
    }

    @Test
    void refusesEntriesEscapingTheTarget() throws IOException {
        Path deb = tmp.resolve("evil.deb");
        writeDeb(deb, "xz", tar(t -> file(t, "./../../evil", new byte[]{1})));
        assertThatThrownBy(() -> DebArchive.extract(deb, tmp.resolve("o"), p -> true)).hasMessageContaining("escapes");
    }

    @Test
    void rejectsAFileWithoutDataTar() throws IOException {
        Path deb = tmp.resolve("empty.deb");
        try (ArArchiveOutputStream ar = new ArArchiveOutputStream(Files.newOutputStream(deb))) {
            member(ar, "debian-binary", "2.0\n".getBytes(StandardCharsets.US_ASCII));
        }
        assertThatThrownBy(() -> DebArchive.extract(deb, tmp.resolve("o"), p -> true)).hasMessageContaining("data.tar");
    }

    // ---------------------------------------------------------------- building a .deb

    interface TarBody {
        void write(TarArchiveOutputStream t) throws IOException;
    }

    static byte[] tar(TarBody body) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(b)) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
            body.write(t);
        }
        return b.toByteArray();
    }

    static void dir(TarArchiveOutputStream t, String name) throws IOException {
        t.putArchiveEntry(new TarArchiveEntry(name));
        t.closeArchiveEntry();
    }

    static void file(TarArchiveOutputStream t, String name, byte[] data) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, true); // keep "./" and ".." as a real .deb may
        e.setSize(data.length);
        e.setMode(0100644);
        t.putArchiveEntry(e);
        t.write(data);
        t.closeArchiveEntry();
    }

    static void writeDeb(Path deb, String compression, byte[] dataTar) throws IOException {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        try (OutputStream c = compression.equals("xz") ? new XZOutputStream(data, new LZMA2Options())
                : new GZIPOutputStream(data)) {
            c.write(dataTar);
        }
        try (ArArchiveOutputStream ar = new ArArchiveOutputStream(Files.newOutputStream(deb))) {
            member(ar, "debian-binary", "2.0\n".getBytes(StandardCharsets.US_ASCII));
            member(ar, "control.tar.xz", new byte[0]);
            member(ar, "data.tar." + compression, data.toByteArray());
        }
    }

    private static void member(ArArchiveOutputStream ar, String name, byte[] content) throws IOException {
        ar.putArchiveEntry(new ArArchiveEntry(name, content.length));
        ar.write(content);
        ar.closeArchiveEntry();
    }
}

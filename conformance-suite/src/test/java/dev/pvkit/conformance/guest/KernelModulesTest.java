package dev.pvkit.conformance.guest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KernelModulesTest {
    @TempDir
    Path tmp;

    @Test
    void dependenciesComeFirstAndEachModuleOnce() throws IOException {
        Map<String, List<String>> deps = Map.of(
                "virtio_blk", List.of("virtio", "virtio_ring"),
                "virtio_net", List.of("net_failover", "virtio", "virtio_ring"),
                "net_failover", List.of("failover"),
                "virtio", List.of(), "virtio_ring", List.of(), "failover", List.of());
        List<String> order = KernelModules.order(List.of("virtio_blk", "virtio_net"), Set.of(), deps::get);
        assertThat(order).containsExactly("virtio", "virtio_ring", "virtio_blk", "failover", "net_failover", "virtio_net");
    }

    @Test
    void builtinModulesAreSkippedAndDashesNormalised() throws IOException {
        Map<String, List<String>> deps = Map.of("virtio_pci", List.of("virtio-pci-modern-dev", "virtio"),
                "virtio_pci_modern_dev", List.of());
        assertThat(KernelModules.order(List.of("virtio-pci"), Set.of("virtio"), deps::get))
                .containsExactly("virtio_pci_modern_dev", "virtio_pci");
    }

    @Test
    void aCycleIsAnError() {
        Map<String, List<String>> deps = Map.of("a", List.of("b"), "b", List.of("a"));
        assertThatThrownBy(() -> KernelModules.order(List.of("a"), Set.of(), deps::get)).hasMessageContaining("cycle");
    }

    @Test
    void readsDependsFromModinfoOfKoFilesInATree() throws IOException {
        Path mods = tmp.resolve("lib/modules/6.1.0-1-amd64");
        ko(mods.resolve("kernel/drivers/block/virtio_blk.ko"), "virtio_blk", "virtio,virtio_ring");
        ko(mods.resolve("kernel/drivers/virtio/virtio.ko"), "virtio", "");
        koXz(mods.resolve("kernel/drivers/virtio/virtio_ring.ko.xz"), "virtio_ring", "");
        ko(mods.resolve("kernel/drivers/unused/other.ko"), "other", "missing_module");
        Files.writeString(mods.resolve("modules.builtin"), "kernel/drivers/char/hw_random/virtio-rng.ko\n");

        List<KernelModules.Module> order = KernelModules.loadOrder(mods, List.of("virtio_blk", "virtio-rng"));

        assertThat(order).extracting(KernelModules.Module::name).containsExactly("virtio", "virtio_ring", "virtio_blk");
        assertThat(KernelModules.modinfo(order.get(1).bytes(), "name")).containsExactly("virtio_ring"); // decompressed
    }

    @Test
    void aMissingModuleIsNamed() throws IOException {
        Path mods = tmp.resolve("m");
        ko(mods.resolve("kernel/a.ko"), "a", "nowhere");
        assertThatThrownBy(() -> KernelModules.loadOrder(mods, List.of("a"))).hasMessageContaining("nowhere");
    }

    @Test
    void modinfoFindsKeysOnlyAtEntryStart() {
        byte[] b = "\0\u007fELF junk xdepends=wrong\0license=GPL\0depends=a,b\0name=x\0".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(KernelModules.modinfo(b, "depends")).containsExactly("a", "b");
        assertThat(KernelModules.modinfo(b, "alias")).isEmpty();
    }

    private static byte[] modinfo(String name, String depends) {
        return ("\u007fELF\0\0\0license=GPL\0depends=" + depends + "\0retpoline=Y\0name=" + name + "\0vermagic=6.1\0")
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void ko(Path p, String name, String depends) throws IOException {
        Files.createDirectories(p.getParent());
        Files.write(p, modinfo(name, depends));
    }

    private static void koXz(Path p, String name, String depends) throws IOException {
        Files.createDirectories(p.getParent());
        try (OutputStream o = new XZOutputStream(Files.newOutputStream(p), new LZMA2Options())) {
            o.write(modinfo(name, depends));
        }
    }
}

package dev.pvkit.conformance.guest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QemuCommandLineTest {
    @TempDir
    Path tmp;

    private GuestImage image() throws IOException {
        return GuestImage.of(Files.writeString(tmp.resolve("vmlinuz"), "k"), Files.writeString(tmp.resolve("initrd"), "i"));
    }

    @Test
    void defaultCommandLineHasSharedMemfdRamDevicesAgentAndConsole() throws IOException {
        QemuOptions o = QemuOptions.of(image()).memoryMiB(512).cpus(2)
                .device(VhostUserDevice.blk(Path.of("/run/blk.sock"), 4))
                .device(VhostUserDevice.blk(Path.of("/run/blk2.sock"), 1).withPacked(true));
        List<String> cmd = QemuCommandLine.build(o, Accelerator.TCG, Path.of("/r/console.log"), Path.of("/r/agent.sock"));

        assertThat(cmd.get(0)).isEqualTo("qemu-system-x86_64");
        assertPair(cmd, "-machine", "q35");
        assertPair(cmd, "-accel", "tcg");
        assertPair(cmd, "-cpu", "max");
        assertPair(cmd, "-m", "512M");
        assertPair(cmd, "-smp", "2");
        assertPair(cmd, "-object", "memory-backend-memfd,id=mem,size=512M,share=on");
        assertPair(cmd, "-numa", "node,memdev=mem");
        assertPair(cmd, "-kernel", tmp.resolve("vmlinuz").toString());
        assertPair(cmd, "-initrd", tmp.resolve("initrd").toString());
        assertPair(cmd, "-append", "console=ttyS0 panic=-1 quiet pvkit.agent=ttyS1");
        assertThat(cmd).contains("-no-reboot", "-nodefaults");
        assertPair(cmd, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04");
        assertThat(QemuCommandLine.EXIT_PORT).isEqualTo(0xf4);
        assertThat(Collections.indexOfSubList(cmd, List.of(
                "-chardev", "file,id=pvkit-console,path=/r/console.log", "-serial", "chardev:pvkit-console",
                "-chardev", "socket,id=pvkit-agent,path=/r/agent.sock", "-serial", "chardev:pvkit-agent"))).isPositive();
        assertThat(Collections.indexOfSubList(cmd, List.of(
                "-chardev", "socket,id=vhu0,path=/run/blk.sock",
                "-device", "vhost-user-blk-pci,id=vhu0-dev,chardev=vhu0,num-queues=4",
                "-chardev", "socket,id=vhu1,path=/run/blk2.sock",
                "-device", "vhost-user-blk-pci,id=vhu1-dev,chardev=vhu1,num-queues=1,packed=on"))).isPositive();
        assertThat(String.join(" ", cmd)).doesNotContain("@");
    }

    @Test
    void kvmUsesTheHostCpu() throws IOException {
        List<String> cmd = QemuCommandLine.build(QemuOptions.of(image()), Accelerator.KVM, Path.of("c"), Path.of("a"));
        assertPair(cmd, "-accel", "kvm");
        assertPair(cmd, "-cpu", "host");
    }

    @Test
    void autoMustBeResolvedFirst() throws IOException {
        assertThatThrownBy(() -> QemuCommandLine.build(QemuOptions.of(image()), Accelerator.AUTO, Path.of("c"), Path.of("a")))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void virtioConsoleAgentNetDeviceKernelAndExtraArguments() throws IOException {
        QemuOptions o = QemuOptions.of(image()).agentChannel(AgentChannel.VIRTIO_CONSOLE)
                .device(VhostUserDevice.net(Path.of("/n.sock"), 2).withPacked(true))
                .kernelArgs("loglevel=7").extraArgs("-d", "guest_errors");
        List<String> cmd = QemuCommandLine.build(o, Accelerator.TCG, Path.of("/c"), Path.of("/a.sock"));
        assertPair(cmd, "-append", "console=ttyS0 panic=-1 quiet pvkit.agent=hvc0 loglevel=7");
        assertThat(Collections.indexOfSubList(cmd, List.of("-chardev", "socket,id=pvkit-agent,path=/a.sock",
                "-device", "virtio-serial-pci,id=pvkit-vser",
                "-device", "virtconsole,chardev=pvkit-agent,bus=pvkit-vser.0"))).isPositive();
        assertThat(Collections.indexOfSubList(cmd, List.of("-chardev", "socket,id=vhu0,path=/n.sock",
                "-netdev", "vhost-user,id=vhu0-net,chardev=vhu0,queues=2",
                "-device", "virtio-net-pci,netdev=vhu0-net,vectors=0,mq=on,packed=on"))).isPositive();
        assertThat(cmd.subList(cmd.size() - 2, cmd.size())).containsExactly("-d", "guest_errors");
    }

    @Test
    void aUserTemplateGetsThePlaceholdersExpanded() throws IOException {
        QemuOptions o = QemuOptions.of(image()).qemuBinary(Path.of("/opt/qemu/bin/qemu-system-x86_64"))
                .template(QemuCommandLine.parseTemplate("""
                        -machine pc,accel=@ACCEL@ -m @MEMORY@ -kernel @KERNEL@ -initrd @INITRD@
                        -append @APPEND@ -serial file:@CONSOLE_LOG@ @AGENT@ @DEVICES@ -vga none"""))
                .device(VhostUserDevice.blk(Path.of("/b.sock"), 1));
        List<String> cmd = QemuCommandLine.build(o, Accelerator.TCG, Path.of("/c.log"), Path.of("/a.sock"));
        assertThat(cmd).startsWith("/opt/qemu/bin/qemu-system-x86_64", "-machine", "pc,accel=tcg", "-m", "256M");
        assertThat(cmd).contains("file:/c.log", "socket,id=pvkit-agent,path=/a.sock",
                "vhost-user-blk-pci,id=vhu0-dev,chardev=vhu0,num-queues=1");
        assertThat(cmd).endsWith("-vga", "none");
    }

    /** Arguments with spaces are quoted as in a shell; the quotes go, the spaces stay; a lone quote is refused. */
    @Test
    void aTemplateIsSplitAtWhiteSpaceOutsideQuotes() {
        assertThat(QemuCommandLine.parseTemplate("  -name  \"a guest\" -append 'console=ttyS0 quiet'\t-smp\n2 "))
                .containsExactly("-name", "a guest", "-append", "console=ttyS0 quiet", "-smp", "2");
        assertThat(QemuCommandLine.parseTemplate("-drive \"file=/tmp/my disk.img,format=raw\""))
                .containsExactly("-drive", "file=/tmp/my disk.img,format=raw");
        assertThatThrownBy(() -> QemuCommandLine.parseTemplate("-drive file=\"/tmp/my disk.img\",format=raw"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("a quote inside an argument");
        assertThat(QemuCommandLine.parseTemplate("-name \"it's\"")).containsExactly("-name", "it's");
        assertThat(QemuCommandLine.parseTemplate("   ")).isEmpty();
        assertThatThrownBy(() -> QemuCommandLine.parseTemplate("-append \"console=ttyS0 quiet"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("an unbalanced quote");
    }

    /** isa-debug-exit: QEMU exits with (v << 1) | 1 for a guest write of v; everything else is not a guest code. */
    @Test
    void exitStatusesAreDecoded() {
        assertThat(QemuExit.statusOf(1)).isEqualTo(3);
        assertThat(QemuExit.statusOf(42)).isEqualTo(85);
        assertThat(QemuExit.statusOf(63)).isEqualTo(127);
        assertThatThrownBy(() -> QemuExit.statusOf(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> QemuExit.statusOf(64)).isInstanceOf(IllegalArgumentException.class);
        for (int code = 1; code <= QemuExit.MAX_GUEST_CODE; code++) {
            QemuExit e = new QemuExit(QemuExit.statusOf(code), false);
            assertThat(e.guestCode()).hasValue(code);
            assertThat(e.poweredOff()).isFalse();
        }
        assertThat(new QemuExit(0, false).poweredOff()).isTrue();
        assertThat(new QemuExit(0, false).guestCode()).isEmpty();
        assertThat(new QemuExit(0, true).poweredOff()).as("killed").isFalse();
        assertThat(new QemuExit(1, false).guestCode()).as("QEMU's own error status").isEmpty();
        assertThat(new QemuExit(2, false).guestCode()).isEmpty();
        assertThat(new QemuExit(137, false).guestCode()).as("SIGKILL, 128 + 9").isEmpty();
        assertThat(new QemuExit(137, false)).hasToString("ended by signal 9 (status 137)");
        assertThat(new QemuExit(85, true).guestCode()).as("killed by the harness").isEmpty();
        assertThat(new QemuExit(85, false)).hasToString("guest exit code 42 via isa-debug-exit (status 85)");
    }

    /** A firmware boot: no kernel, initramfs or agent; the template's guest placeholders are refused. */
    @Test
    void firmwareBootTakesATemplateWithoutGuestPlaceholders() {
        QemuOptions o = QemuOptions.firmwareBoot().memoryMiB(128).template(QemuCommandLine.parseTemplate(
                "-machine q35 -accel @ACCEL@ -m @MEMORY@ -serial file:@CONSOLE_LOG@ @DEVICES@"))
                .device(VhostUserDevice.blk(Path.of("/b.sock"), 1));
        List<String> cmd = QemuCommandLine.build(o, Accelerator.TCG, Path.of("/c.log"), Path.of("/a.sock"));
        assertThat(cmd).containsExactly("qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "128M",
                "-serial", "file:/c.log", "-chardev", "socket,id=vhu0,path=/b.sock",
                "-device", "vhost-user-blk-pci,id=vhu0-dev,chardev=vhu0,num-queues=1");
        for (String t : new String[]{"-kernel @KERNEL@", "-append @APPEND@", "@AGENT@", "-chardev socket,path=@AGENT_SOCKET@"}) {
            QemuOptions bad = QemuOptions.firmwareBoot().template(QemuCommandLine.parseTemplate(t));
            assertThatThrownBy(() -> QemuCommandLine.build(bad, Accelerator.TCG, Path.of("/c"), Path.of("/a")))
                    .as(t).isInstanceOf(IllegalStateException.class);
        }
        assertThatThrownBy(() -> QemuLauncher.launch(QemuOptions.firmwareBoot().accelerator(Accelerator.AUTO)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("AUTO");
    }

    @Test
    void optionsRejectNonsense() throws IOException {
        QemuOptions o = QemuOptions.of(image());
        assertThatThrownBy(() -> o.memoryMiB(16)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VhostUserDevice.blk(Path.of("/s"), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GuestImage.of(tmp.resolve("none"), tmp.resolve("initrd")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static void assertPair(List<String> cmd, String option, String value) {
        int i = cmd.indexOf(option);
        assertThat(i).as(option + " present in " + cmd).isNotNegative();
        assertThat(cmd.get(i + 1)).as("value of " + option).isEqualTo(value);
    }
}

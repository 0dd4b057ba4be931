package dev.pvkit.conformance.guest;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The firmware-only templates of {@code pvkit certify --firmware}: what QEMU gets, without a guest image or agent. */
class FirmwareTest {
    private static List<String> build(Firmware f) {
        QemuOptions o = QemuOptions.firmwareBoot().template(f.template()).device(VhostUserDevice.blk(Path.of("/run/blk.sock"), 1));
        return QemuCommandLine.build(o, Accelerator.TCG, Path.of("/r/console.log"), Path.of("/r/agent.sock"));
    }

    @Test
    void seabiosBootsTheDiskAloneWithConsoleAndExitDevice() {
        List<String> cmd = build(Firmware.SEABIOS);
        assertThat(cmd).doesNotContain("-kernel", "-initrd", "-append", "-bios").contains("-nodefaults", "-no-reboot");
        assertThat(String.join(" ", cmd)).doesNotContain("@", "agent", "disable-legacy");
        assertThat(Collections.indexOfSubList(cmd, List.of("-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"))).isPositive();
        assertThat(Collections.indexOfSubList(cmd, List.of("-chardev", "file,id=pvkit-console,path=/r/console.log",
                "-serial", "chardev:pvkit-console"))).isPositive();
        assertThat(Collections.indexOfSubList(cmd, List.of("-object", "memory-backend-memfd,id=mem,size=256M,share=on"))).isPositive();
        assertThat(cmd).contains("vhost-user-blk-pci,id=vhu0-dev,chardev=vhu0,num-queues=1");
        assertThat(Firmware.SEABIOS.unavailable()).isNull();
        assertThat(Firmware.SEABIOS.image()).isNull();
    }

    /** A bare kernel (--kernel without --initrd): SeaBIOS boots it and, strict, leaves the PVKit disk to it. */
    @Test
    void seabiosBootsABareKernelStrictlySoTheDiskIsTheKernels() {
        List<String> t = Firmware.SEABIOS.templateBooting(Path.of("/k/driver.elf"), "verbose=1");
        QemuOptions o = QemuOptions.firmwareBoot().template(t).device(VhostUserDevice.blk(Path.of("/run/blk.sock"), 1));
        List<String> cmd = QemuCommandLine.build(o, Accelerator.TCG, Path.of("/r/console.log"), Path.of("/r/agent.sock"));
        assertThat(Collections.indexOfSubList(cmd, List.of("-kernel", "/k/driver.elf", "-append", "verbose=1", "-boot", "strict=on")))
                .isPositive();
        assertThat(cmd).doesNotContain("-initrd", "-bios").contains("-no-reboot");
        assertThat(Firmware.SEABIOS.templateBooting(Path.of("/k/driver.elf"), null)).doesNotContain("-append");
        org.assertj.core.api.Assertions.assertThatIllegalStateException()
                .isThrownBy(() -> Firmware.OVMF.templateBooting(Path.of("/k/driver.elf"), null));
    }

    @Test
    void ovmfGetsItsImageAndAModernOnlyDevice() {
        List<String> cmd = build(Firmware.OVMF);
        assertThat(Collections.indexOfSubList(cmd, List.of("-bios", "/usr/share/ovmf/OVMF.fd"))).isPositive();
        assertThat(Collections.indexOfSubList(cmd, List.of("-global", "vhost-user-blk-pci.disable-legacy=on"))).isPositive();
        assertThat(cmd).doesNotContain("-kernel", "-initrd", "-append");
        assertThat(Firmware.OVMF.idleMarker()).isEqualTo("Shell> ");
    }

    @Test
    void aMissingImageSaysWhichPackageBringsIt() {
        String why = Firmware.OVMF.unavailable();
        if (why != null) assertThat(why).contains("/usr/share/ovmf/OVMF.fd", "apt-get install ovmf");
    }
}

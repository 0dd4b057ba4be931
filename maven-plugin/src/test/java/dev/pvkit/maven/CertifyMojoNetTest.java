package dev.pvkit.maven;

import org.apache.maven.plugin.MojoExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code <device>net</device>} and what does not go with it: one line naming the parameter, before anything boots. */
class CertifyMojoNetTest {
    @TempDir
    Path dir;

    private CertifyMojo mojo(String device) {
        CertifyMojo m = new CertifyMojo();
        m.device = device;
        m.profile = "blk";
        m.guest = "default";
        m.timeout = "8m";
        m.accel = "auto";
        m.reportDirectory = dir.resolve("pvkit").toFile();
        return m;
    }

    @Test
    void anUnknownDeviceIsRefused() {
        assertThatThrownBy(() -> mojo("scsi").execute()).isInstanceOf(MojoExecutionException.class)
                .hasMessage("<device> (pvkit.device) must be blk or net, not scsi");
    }

    @Test
    void queuePairsGoWithNetOnlyAndWithinTheLimit() {
        CertifyMojo blk = mojo("blk");
        blk.queuePairs = 2;
        assertThatThrownBy(blk::execute).hasMessage("<queuePairs> (pvkit.queuePairs) goes with <device>net</device> only");
        CertifyMojo net = mojo("net");
        net.queuePairs = 9;
        assertThatThrownBy(net::execute).hasMessage("<queuePairs> (pvkit.queuePairs) must be 1..8, not 9");
    }

    @Test
    void aProfileOtherThanTheDefaultAndADiskDoNotGoWithNet() {
        CertifyMojo profiled = mojo("net");
        profiled.profile = "blk-quick";
        assertThatThrownBy(profiled::execute).hasMessage("<profile> (pvkit.profile) does not go with <device>net</device> yet");
        CertifyMojo disk = mojo("net");
        disk.disk = dir.resolve("disk.img").toFile();
        assertThatThrownBy(disk::execute).hasMessage("<disk> (pvkit.disk) does not go with <device>net</device>");
    }

    @Test
    void aKernelWithoutItsInitramfsIsRefused() {
        CertifyMojo m = mojo("net");
        m.kernel = dir.resolve("bzImage").toFile();
        assertThatThrownBy(m::execute).hasMessageStartingWith("<kernel> (pvkit.kernel) with <device>net</device> needs <initrd> (pvkit.initrd)");
    }

    @Test
    void aReplayWordThatIsNoNetCaseIsRefused() {
        CertifyMojo m = mojo("net");
        m.replay = "bm90IGEgY2FzZQ";
        assertThatThrownBy(m::execute).isInstanceOf(MojoExecutionException.class).hasMessageStartingWith("<replay> (pvkit.replay): not a PVKit case");
    }
}

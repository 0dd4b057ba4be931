package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.guest.Firmware;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CertifyOptionsTest {
    private final CertifyOptions defaults = CertifyOptions.defaults(Path.of("r"));

    @Test
    void aFirmwareBootIsPassiveJudgesTheFirmwareAndEndsWhenTheDeviceGoesQuiet() {
        CertifyOptions o = defaults.withFirmware(Firmware.OVMF);
        assertThat(o.passive()).isTrue();
        assertThat(o.bootsKernel()).isFalse();
        assertThat(o.template()).isEqualTo(Firmware.OVMF.template());
        assertThat(o.judgedDriver()).isEqualTo(DriverChoice.FIRMWARE);
        assertThat(o.effectiveQuietEnd()).isEqualTo(CertifyOptions.DEFAULT_QUIET_END);
        assertThat(o.withQuietEnd(Duration.ZERO).effectiveQuietEnd()).isNull();
        assertThat(o.withQuietEnd(Duration.ofSeconds(3)).effectiveQuietEnd()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void aKernelBootHasNoQuietEndUnlessAsked() {
        assertThat(defaults.effectiveQuietEnd()).as("not passive").isNull();
        assertThat(defaults.withPassive(true).effectiveQuietEnd()).isNull();
        assertThat(defaults.withPassive(true).withQuietEnd(Duration.ofSeconds(20)).effectiveQuietEnd()).isEqualTo(Duration.ofSeconds(20));
        CertifyOptions userFirmware = defaults.withPassive(true).withTemplate(List.of("-machine", "q35", "@DEVICES@"));
        assertThat(userFirmware.effectiveQuietEnd()).as("a user's firmware-only template").isEqualTo(CertifyOptions.DEFAULT_QUIET_END);
        assertThat(userFirmware.firmware()).isNull();
    }
}

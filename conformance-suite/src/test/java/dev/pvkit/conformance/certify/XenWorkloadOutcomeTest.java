package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.guest.XenRig;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** How the domU's own results become the reason a Xen certification is incomplete, and whom that reason blames. */
class XenWorkloadOutcomeTest {

    private static XenRig.Result domU(String done) {
        return new XenRig.Result(true, null, List.of("DOMU-BLK discard ok", done), Path.of("run"), Path.of("run/serial.log"), 40, null);
    }

    @Test
    void aWorkloadThatPassedAndLeftItsPatternOnDiskLeavesNothingToSay() {
        assertThat(XenCertification.unfinishedWorkload(domU("DOMU-DONE blk=PASS net=PASS uptime=10.1"), true)).isNull();
    }

    @Test
    void aWrongReadBackBlamesXenBlkfront() {
        assertThat(XenCertification.unfinishedWorkload(domU("DOMU-DONE blk=FAIL net=PASS uptime=10.1"), true))
                .isEqualTo("xen-blkfront did not read back what it wrote");
    }

    @Test
    void aPatternTheWorkloadMadeWrongBlamesTheWorkloadNotTheDriver() {
        assertThat(XenCertification.unfinishedWorkload(domU("DOMU-DONE blk=ERROR net=PASS uptime=10.1"), false))
                .contains("a fault of its own").doesNotContain("did not read back");
    }

    @Test
    void thePatternTheWorkloadChecksIsTheOneTheHostLooksForOnDisk() throws Exception {
        // The domU's /init holds the pattern's md5 as a constant; it must be the sum of the pattern the host expects.
        String init = new String(XenRig.class.getResourceAsStream("xen-domu-init.sh").readAllBytes(), StandardCharsets.UTF_8);
        assertThat(init).contains("[ \"$want\" = " + XenCertification.md5OfPattern() + " ]")
                .contains("yes " + XenCertification.PATTERN_LINE.strip() + " | head -c 1048576");
    }
}

package dev.pvkit.conformance.cli;

import dev.pvkit.spec.PvSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code pvkit certify --profile / --waivers} with a file that cannot be used: one line naming the file and what is
 * wrong, exit code 2, and no guest booted (both files are checked first).
 */
class CertifyTermsCliTest {

    @TempDir
    Path dir;

    private CliTest.Run certify(String... more) {
        String[] args = new String[more.length + 3];
        args[0] = "certify";
        args[1] = "--report";
        args[2] = dir.resolve("reports").toString();
        System.arraycopy(more, 0, args, 3, more.length);
        return CliTest.run(args);
    }

    private static void oneLine(CliTest.Run r, String... expected) {
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.err().lines()).as(r.err()).hasSize(1);
        assertThat(r.err()).startsWith("pvkit: ").contains(expected).doesNotContain("Exception");
        assertThat(r.out()).as("nothing booted").doesNotContain("booting");
    }

    private Path waivers(String text) throws IOException {
        return Files.writeString(dir.resolve("waivers.yaml"), text);
    }

    @Test
    void aWaiverForAnIdTheSpecLacks() throws IOException {
        Path w = waivers("- {id: DRV-CFG-001, owner: fw, reason: known, expires: 2999-12-31}\n"
                + "- {id: DRV-BLK-999, owner: fw, reason: typo, expires: 2999-12-31}\n");
        oneLine(certify("--firmware", "seabios", "--waivers", w.toString()), "waivers " + w + ": entry 2: field 'id' names "
                + "DRV-BLK-999, which is not a requirement of " + PvSpec.load().citation());
    }

    @Test
    void aMalformedWaiverFile() throws IOException {
        Path w = waivers("- id: DRV-CFG-001\n  owner: fw\n  reason: [unclosed\n");
        oneLine(certify("--waivers", w.toString()), "waivers " + w + ": not valid YAML at line");
        Path notAList = waivers("DRV-CFG-001: until June\n");
        oneLine(certify("--waivers", notAList.toString()), "waivers " + notAList + ": expected a list of waivers");
    }

    @Test
    void aMalformedDateOrAMissingField() throws IOException {
        Path w = waivers("- {id: DRV-CFG-001, owner: fw, reason: known, expires: 2026-13-01}\n");
        oneLine(certify("--waivers", w.toString()), "waivers " + w + ": entry 1: field 'expires' must be a date YYYY-MM-DD, got '2026-13-01'");
        Path noOwner = waivers("- {id: DRV-CFG-001, reason: known, expires: 2026-12-01}\n");
        oneLine(certify("--waivers", noOwner.toString()), "waivers " + noOwner + ": entry 1: missing required field 'owner'");
    }

    @Test
    void aMissingWaiverFile() {
        Path nope = dir.resolve("nope.yaml");
        oneLine(certify("--waivers", nope.toString()), "waivers " + nope + ": no such file");
    }

    @Test
    void anUnknownProfileNameListsTheBundledOnes() {
        oneLine(certify("--profile", "blk-full"), "no profile 'blk-full': it is neither a bundled profile (blk, blk-quick) nor an existing file");
    }

    @Test
    void aProfileFileWithABadField() throws IOException {
        Path p = Files.writeString(dir.resolve("p.yaml"), """
                name: mine
                device: virtio-blk
                spec-version: "1.0"
                feature-sets: [{name: a, ring: split}]
                """);
        oneLine(certify("--profile", p.toString()), "profile " + p + ": field 'spec-version' is 1.0, but this PVKit checks against specification");
        Files.writeString(p, Files.readString(p).replace("\"1.0\"", "\"" + PvSpec.load().version().major() + "."
                + PvSpec.load().version().minor() + "\"") + "tries: -1\n");
        oneLine(certify("--profile", p.toString()), "profile " + p + ": field 'tries' must be at least 1, got -1");
    }
}

package dev.pvkit.conformance.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code pvkit certify} with bad input: one line saying what to fix, exit code 2, and no guest booted. */
class CertifyCliTest {

    @TempDir
    Path dir;

    private static CliTest.Run run(String... args) {
        return CliTest.run(args);
    }

    private static void oneLine(CliTest.Run r, String expected) {
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.err().lines()).as(r.err()).hasSize(1);
        assertThat(r.err()).startsWith("pvkit: ").contains(expected).doesNotContain("Exception");
        assertThat(r.out()).doesNotContain("booting");
    }

    @Test
    void aMissingKernelFile() {
        Path nope = dir.resolve("vmlinuz-missing");
        oneLine(run("certify", "--kernel", nope.toString(), "--initrd", nope.toString(), "--report", dir.resolve("r").toString()),
                "kernel " + nope + " is not a readable file");
    }

    @Test
    void aTemplateWithoutTheDevicePlaceholder() {
        oneLine(run("certify", "--passive", "--qemu-template", "-machine q35 -m @MEMORY@", "--report", dir.resolve("r").toString()),
                "must contain @DEVICES@");
    }

    @Test
    void anActiveRunsTemplateNeedsTheAgent() {
        oneLine(run("certify", "--qemu-template", "-machine q35 @DEVICES@", "--report", dir.resolve("r").toString()),
                "must contain @AGENT@");
    }

    @Test
    void anUnknownOption() {
        oneLine(run("certify", "--frobnicate"), "Unknown option: '--frobnicate'");
    }

    @Test
    void aKernelWithoutAnInitramfsHasNoAgentSoItMustBePassive() throws Exception {
        Path elf = Files.write(dir.resolve("kernel.elf"), new byte[]{0x7f, 'E', 'L', 'F'});
        oneLine(run("certify", "--kernel", elf.toString(), "--report", dir.resolve("r").toString()),
                "--kernel needs --initrd with the PVKit agent (or --passive to watch the kernel alone)");
    }

    @Test
    void aReplayWordThatIsNoCase() {
        oneLine(run("certify", "--replay", "not-a-case", "--report", dir.resolve("r").toString()), "--replay: not a PVKit case");
    }

    @Test
    void negativeTries() {
        oneLine(run("certify", "--tries", "-1", "--report", dir.resolve("r").toString()), "--tries must be 0 or more");
    }

    @Test
    void aBadFailOnValue() {
        oneLine(run("certify", "--fail-on", "may"), "--fail-on");
    }

    @Test
    void aGuestOtherThanDefault() {
        oneLine(run("certify", "--guest", "windows"), "--guest takes only 'default'");
    }

    @Test
    void aReportDirectoryThatCannotBeWritten() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        oneLine(run("certify", "--report", file.resolve("sub").toString()), "report directory " + file.resolve("sub") + " cannot be written");

        assumeTrue(!"root".equals(System.getProperty("user.name")), "root writes into read-only directories");
        Path ro = Files.createDirectory(dir.resolve("ro"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("r-xr-xr-x")));
        oneLine(run("certify", "--report", ro.toString()), "cannot be written");
    }
}

package dev.pvkit.conformance.matrix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.pvkit.conformance.guest.Firmware;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Matrix files: the cells in their one fixed order, paths relative to the file, every mistake one line; the schema agrees. */
class MatrixFileTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    Path dir;

    @Test
    void cellsAreNumberedGuestsFirstThenProfilesThenSeeds() throws Exception {
        Files.createDirectories(dir.resolve("ci"));
        Files.writeString(dir.resolve("ci/strict.yaml"), "name: strict\n");
        Matrix m = ShardFixtures.matrix(dir, ShardFixtures.TWO_BY_TWO.replace("profiles: [blk-quick]", "profiles: [blk-quick, ci/strict.yaml]"));
        assertThat(m.cells()).extracting(c -> c.number() + " " + c.title()).containsExactly(
                "1 debian · blk-quick · seed 1", "2 debian · blk-quick · seed 2",
                "3 debian · strict.yaml · seed 1", "4 debian · strict.yaml · seed 2",
                "5 seabios · blk-quick · seed 1", "6 seabios · blk-quick · seed 2",
                "7 seabios · strict.yaml · seed 1", "8 seabios · strict.yaml · seed 2");
        assertThat(m.cells().get(2).profile()).as("a profile file, relative to the matrix file").isEqualTo(dir.resolve("ci/strict.yaml").toString());
        assertThat(m.cells().get(0).profile()).as("a bundled profile, by name").isEqualTo("blk-quick");
        assertThat(m.name()).isEqualTo("fixture");
    }

    @Test
    void theThreeKindsOfGuest() throws Exception {
        Files.createDirectories(dir.resolve("build"));
        for (String f : List.of("build/bzImage", "build/initrd.gz", "boot.img")) Files.write(dir.resolve(f), new byte[512]);
        Matrix m = ShardFixtures.matrix(dir, """
                guests:
                  - {name: stock, default: true}
                  - {name: mine, kernel: build/bzImage, initrd: build/initrd.gz, append: "quiet"}
                  - {name: foreign, kernel: build/bzImage, passive: true}
                  - {name: bios, firmware: seabios, disk: boot.img}
                  - {name: uefi, firmware: OVMF}
                profiles: [blk]
                """);
        assertThat(m.cells()).extracting(c -> c.guest().name() + ": " + c.guest().describe() + " · " + c.seed()).containsExactly(
                "stock: default guest · null",
                "mine: kernel " + dir.resolve("build/bzImage") + ", initrd " + dir.resolve("build/initrd.gz") + ", append \"quiet\" · null",
                "foreign: kernel " + dir.resolve("build/bzImage") + ", passive · null",
                "bios: firmware seabios, disk " + dir.resolve("boot.img") + " · null",
                "uefi: firmware ovmf · null");
        MatrixGuest bios = m.guests().get(3);
        assertThat(bios.passive()).as("a firmware-only boot is passive").isTrue();
        var options = bios.applyTo(dev.pvkit.conformance.certify.CertifyOptions.defaults(dir));
        assertThat(options.firmware()).isEqualTo(Firmware.SEABIOS);
        assertThat(options.disk()).isEqualTo(dir.resolve("boot.img"));
        assertThat(options.passive()).isTrue();
        var mine = m.guests().get(1).applyTo(dev.pvkit.conformance.certify.CertifyOptions.defaults(dir));
        assertThat(mine.kernel()).isEqualTo(dir.resolve("build/bzImage"));
        assertThat(mine.append()).isEqualTo("quiet");
        assertThat(mine.passive()).isFalse();
        assertThat(m.seeds()).as("no seeds: one cell per guest and profile, a new seed each run").containsExactly((Long) null);
    }

    @Test
    void everyMistakeIsOneLineNamingTheEntryAndField() throws Exception {
        Files.write(dir.resolve("k"), new byte[1]);
        String ok = "profiles: [blk]\nguests:\n";
        bad(ok + "  - {name: a, default: true, colour: red}", "guests[1]: unknown field 'colour' (known: name, default, kernel, initrd, append, passive, firmware, disk)");
        bad(ok + "  - {name: a}", "guests[1]: says no guest: give 'default: true', 'kernel' or 'firmware'");
        bad(ok + "  - {name: a, default: true, firmware: seabios}", "guests[1]: gives more than one guest: 'default: true', 'kernel' and 'firmware' exclude each other");
        bad(ok + "  - {name: a, firmware: coreboot}", "guests[1]: field 'firmware' must be seabios or ovmf, got 'coreboot'");
        bad(ok + "  - {name: a, firmware: seabios, passive: true}", "guests[1]: field 'passive' is implied by 'firmware' (a firmware-only boot has no agent)");
        bad(ok + "  - {name: a, default: true, initrd: k}", "guests[1]: field 'initrd' belongs to a 'kernel' guest");
        bad(ok + "  - {name: a, kernel: k}", "guests[1]: a kernel without 'initrd' needs 'passive: true' (no PVKit agent to run the workload)");
        bad(ok + "  - {name: a, kernel: nope, passive: true}", "guests[1]: field 'kernel' names nope, which is not a file (" + dir.resolve("nope") + ")");
        bad(ok + "  - {name: a, default: true}\n  - {name: a, firmware: seabios}", "guests[2]: field 'name' names a again (each guest needs its own name)");
        bad(ok + "  - {name: 'a b', default: true}", "guests[1]: field 'name' must be letters, digits, '.', '_' or '-', got 'a b'");
        bad("guests: [{name: a, default: true}]", "missing required field 'profiles'");
        bad("guests: [{name: a, default: true}]\nprofiles: []", "field 'profiles' is an empty list");
        bad("guests: [{name: a, default: true}]\nprofiles: [blk, blk]", "field 'profiles' names blk twice");
        bad("guests: [{name: a, default: true}]\nprofiles: [blk]\nseeds: [1, 1]", "field 'seeds' lists 1 twice");
        bad("guests: [{name: a, default: true}]\nprofiles: [blk]\nseeds: [-3]", "field 'seeds' entry 1 must be a whole number 0 or more, found the number -3");
        bad("guests: [{name: a, default: true}]\nprofiles: [blk]\nseed: [1]", "unknown field 'seed' (known: name, guests, profiles, seeds)");
        assertThatThrownBy(() -> MatrixFile.load(dir.resolve("absent.yaml"))).isInstanceOf(InvalidMatrixException.class)
                .hasMessage("matrix " + dir.resolve("absent.yaml") + ": no such file");
    }

    private void bad(String text, String message) {
        assertThatThrownBy(() -> ShardFixtures.matrix(dir, text)).as(text).isInstanceOf(InvalidMatrixException.class)
                .hasMessage("matrix test: " + message);
    }

    /** The matrix examples/vendor-gate's CI jobs share is one PVKit reads: 2 guests × 1 profile × 2 seeds. */
    @Test
    void theVendorGateExamplesMatrixLoads() {
        Path example = Path.of("../examples/vendor-gate/pvkit-matrix.yaml");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(example), "runs in the source tree only");
        assertThat(MatrixFile.load(example).cells()).extracting(MatrixCell::title).containsExactly(
                "debian-6.1 · blk-quick · seed 1", "debian-6.1 · blk-quick · seed 2",
                "seabios · blk-quick · seed 1", "seabios · blk-quick · seed 2");
    }

    @Test
    void theFingerprintFollowsTheCellsNotTheLayout() {
        Matrix a = ShardFixtures.matrix(dir, ShardFixtures.TWO_BY_TWO);
        Matrix b = ShardFixtures.matrix(dir, "# the same cells, written otherwise\n" + ShardFixtures.TWO_BY_TWO.replace("seeds: [1, 2]", "seeds:\n  - 1\n  - 2"));
        Matrix c = ShardFixtures.matrix(dir, ShardFixtures.TWO_BY_TWO.replace("seeds: [1, 2]", "seeds: [2, 1]"));
        assertThat(a.fingerprint()).isEqualTo(b.fingerprint()).isNotEqualTo(c.fingerprint());
    }

    @Test
    void theSchemaAcceptsWhatTheReaderAcceptsAndRefusesItsShapeMistakes() throws Exception {
        Schema schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(text(MatrixFile.SCHEMA_RESOURCE), InputFormat.JSON);
        ObjectNode good = (ObjectNode) YAML.readTree(ShardFixtures.TWO_BY_TWO);
        assertThat(schema.validate(good.toString(), InputFormat.JSON)).isEmpty();
        ObjectNode kernel = good.deepCopy();
        ((ObjectNode) kernel.get("guests").get(0)).remove("default");
        ((ObjectNode) kernel.get("guests").get(0)).put("kernel", "bzImage").put("passive", true).put("append", "quiet");
        assertThat(schema.validate(kernel.toString(), InputFormat.JSON)).isEmpty();

        List<ObjectNode> bads = new ArrayList<>();
        bads.add(good.deepCopy().put("seed", 1));
        ObjectNode two = good.deepCopy();
        ((ObjectNode) two.get("guests").get(1)).put("default", true);
        bads.add(two);
        ObjectNode none = good.deepCopy();
        ((ObjectNode) none.get("guests").get(0)).remove("default");
        bads.add(none);
        ObjectNode coreboot = good.deepCopy();
        ((ObjectNode) coreboot.get("guests").get(1)).put("firmware", "coreboot");
        bads.add(coreboot);
        ObjectNode passiveFirmware = good.deepCopy();
        ((ObjectNode) passiveFirmware.get("guests").get(1)).put("passive", true);
        bads.add(passiveFirmware);
        ObjectNode noProfiles = good.deepCopy();
        noProfiles.remove("profiles");
        bads.add(noProfiles);
        ObjectNode negative = good.deepCopy();
        negative.putArray("seeds").add(-1);
        bads.add(negative);
        for (ObjectNode bad : bads) {
            assertThat(schema.validate(bad.toString(), InputFormat.JSON)).as(bad.toString()).isNotEmpty();
            assertThatThrownBy(() -> ShardFixtures.matrix(dir, bad.toString())).as("the reader refuses " + bad).isInstanceOf(InvalidMatrixException.class);
        }
        JsonNode s = new ObjectMapper().readTree(text(MatrixFile.SCHEMA_RESOURCE));
        List<String> undescribed = new ArrayList<>();
        s.findParents("properties").forEach(p -> p.get("properties").fields().forEachRemaining(f -> {
            if (!f.getValue().has("description")) undescribed.add(f.getKey());
        }));
        assertThat(undescribed).isEmpty();
    }

    private static String text(String resource) throws Exception {
        try (InputStream in = MatrixFileTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}

package dev.pvkit.conformance.profile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JSON Schemas shipped for profile and waiver files describe the files PVKit reads: the bundled profiles and a
 * waiver file pass them; files the loaders refuse for their shape fail them.
 */
class FileSchemasTest {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void theBundledProfilesMatchTheProfileSchema() throws IOException {
        Schema schema = schema(Profiles.SCHEMA_RESOURCE);
        for (String name : Profiles.BUNDLED) {
            JsonNode profile = YAML.readTree(Profiles.bundledText(name));
            assertThat(schema.validate(profile.toString(), InputFormat.JSON)).as(name).isEmpty();
        }
    }

    @Test
    void theProfileSchemaRefusesWhatTheLoaderRefuses() throws IOException {
        Schema schema = schema(Profiles.SCHEMA_RESOURCE);
        ObjectNode good = (ObjectNode) YAML.readTree(Profiles.bundledText("blk"));
        ObjectNode unknown = good.deepCopy().put("tires", 3);
        ObjectNode noDevice = good.deepCopy();
        noDevice.remove("device");
        ObjectNode numberVersion = good.deepCopy().put("spec-version", 2.1);
        ObjectNode zeroBudget = good.deepCopy().put("time-budget", "0m");
        ObjectNode badRing = good.deepCopy();
        ((ObjectNode) badRing.get("feature-sets").get(0)).put("ring", "circular");
        ObjectNode noSets = good.deepCopy();
        noSets.set("feature-sets", noSets.arrayNode());
        for (ObjectNode bad : new ObjectNode[]{unknown, noDevice, numberVersion, zeroBudget, badRing, noSets}) {
            assertThat(schema.validate(bad.toString(), InputFormat.JSON)).as(bad.toString()).isNotEmpty();
        }
    }

    @Test
    void aWaiverFileMatchesTheWaiverSchemaAndBrokenOnesDoNot() throws IOException {
        Schema schema = schema(Waivers.SCHEMA_RESOURCE);
        ArrayNode good = (ArrayNode) YAML.readTree(WaiversTest.GOOD);
        assertThat(schema.validate(good.toString(), InputFormat.JSON)).isEmpty();
        ArrayNode noOwner = good.deepCopy();
        ((ObjectNode) noOwner.get(0)).remove("owner");
        ArrayNode extra = good.deepCopy();
        ((ObjectNode) extra.get(0)).put("approved", true);
        ArrayNode badDate = good.deepCopy();
        ((ObjectNode) badDate.get(0)).put("expires", "30.06.2026");
        for (ArrayNode bad : new ArrayNode[]{noOwner, extra, badDate}) {
            assertThat(schema.validate(bad.toString(), InputFormat.JSON)).as(bad.toString()).isNotEmpty();
        }
    }

    @Test
    void everyPropertyIsDescribed() throws IOException {
        for (String resource : new String[]{Profiles.SCHEMA_RESOURCE, Waivers.SCHEMA_RESOURCE}) {
            JsonNode s = new ObjectMapper().readTree(text(resource));
            assertThat(s.get("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
            assertThat(undescribed(s)).as(resource).isEmpty();
        }
    }

    private static java.util.List<String> undescribed(JsonNode node) {
        java.util.List<String> out = new java.util.ArrayList<>();
        node.findParents("properties").forEach(parent -> parent.get("properties").fields()
                .forEachRemaining(p -> { if (!p.getValue().has("description")) out.add(p.getKey()); }));
        return out;
    }

    private static Schema schema(String resource) throws IOException {
        return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(text(resource), InputFormat.JSON);
    }

    private static String text(String resource) throws IOException {
        try (InputStream in = FileSchemasTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).as(resource + " on the class path").isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}

package dev.pvkit.sdk.vhostuser;

import dev.pvkit.spec.PvSpec;
import dev.pvkit.spec.Requirement;
import dev.pvkit.spec.Target;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.pvkit.sdk.vhostuser.VhostUserRule.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rules a refused vhost-user message breaks are the spec's: every {@link VhostUserRule} cites a front-end or
 * back-end requirement in force, or is one of the listed rules the spec does not number yet; and every rule is
 * thrown somewhere.
 */
class VhostUserRuleSpecTest {

    static PvSpec spec;

    /**
     * The rules that cite no requirement, each for the reason its comment gives. A new rule without an id must be
     * added here on purpose; one the spec comes to number leaves the list.
     */
    static final Set<VhostUserRule> WITHOUT_REQUIREMENT = EnumSet.of(
            REPLY_FLAG_BITS, SHORT_HEADER, CONNECTION, NOT_IMPLEMENTED, CONFIG_SIZE, CONFIG_RANGE,
            QUEUE_SIZE, RING_RUNNING, ENABLE_VALUE, NO_MEMORY, RING_NOT_CONFIGURED, RING_SET_UP, RING_ADDRESS,
            MEMORY_SLOTS, UNKNOWN_REGION, REGION_ARITHMETIC, REGION_BEYOND_FILE, OVERLAPPING_REGIONS,
            LOG_ARITHMETIC, LOG_BEYOND_FILE, INFLIGHT_ARITHMETIC, INFLIGHT_BEYOND_FILE, INFLIGHT_SHAPE, RINGS_RUNNING,
            MAPPING);

    @BeforeAll
    static void load() {
        spec = PvSpec.load();
    }

    @ParameterizedTest
    @EnumSource(VhostUserRule.class)
    void everyRuleCitesAFrontEndOrBackEndRequirementInForceOrIsListedWithout(VhostUserRule rule) {
        assertThat(rule.ruleName()).isNotBlank();
        if (WITHOUT_REQUIREMENT.contains(rule)) {
            assertThat(rule.requirement()).as("%s is listed as citing no requirement", rule).isNull();
            assertThat(rule.cited()).isEqualTo(rule.ruleName());
            return;
        }
        assertThat(rule.requirement()).as("%s cites a requirement (or belongs in WITHOUT_REQUIREMENT)", rule).isNotNull();
        Requirement r = spec.requirement(rule.requirement()).orElseThrow(() -> new AssertionError(rule + " cites "
                + rule.requirement() + ", which the spec does not have"));
        assertThat(r.area()).isEqualTo("VU");
        assertThat(r.target()).as("%s cites a vhost-user requirement, not a driver's or device's", rule)
                .isIn(Target.FRONT_END, Target.BACK_END);
        assertThat(r.isWithdrawn()).as("%s cites a requirement in force", rule).isFalse();
        assertThat(rule.cited()).isEqualTo(rule.ruleName() + ", " + rule.requirement());
    }

    /** Rules that share a short name (one check serving several requests) differ in their requirement. */
    @Test
    void rulesSharingAShortNameCiteDifferentRequirements() {
        Set<String> seen = new HashSet<>();
        for (VhostUserRule rule : VhostUserRule.values()) {
            assertThat(seen.add(rule.ruleName() + " / " + rule.requirement())).as("%s duplicates another rule", rule).isTrue();
        }
    }

    /** Every descriptor-count rule cites a requirement that is about descriptors. */
    @Test
    void descriptorRulesCiteDescriptorRequirements() {
        for (VhostUserRule rule : VhostUserRule.values()) {
            if (!rule.ruleName().equals("descriptor count")) continue;
            assertThat(spec.requirement(rule.requirement()).orElseThrow().statement()).as("%s", rule).contains("file descriptor");
        }
        for (FrontendRequest r : FrontendRequest.values()) {
            assertThat(Bodies.descriptorRule(r).ruleName()).isEqualTo("descriptor count");
        }
    }

    /** No constant is dead: each is named in the vhost-user code outside the enum (a throw site or the table feeding one). */
    @Test
    void everyRuleIsUsedByTheCode() throws IOException {
        Path dir = Path.of("src/main/java/dev/pvkit/sdk/vhostuser");
        String code;
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> sources = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> !p.getFileName().toString().equals("VhostUserRule.java")).toList();
            assertThat(sources).as("vhost-user sources under %s", dir.toAbsolutePath()).isNotEmpty();
            StringBuilder all = new StringBuilder();
            for (Path p : sources) all.append(Files.readString(p)).append('\n');
            code = all.toString();
        }
        Set<VhostUserRule> unused = Stream.of(VhostUserRule.values())
                .filter(rule -> !code.contains("VhostUserRule." + rule.name()))
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(VhostUserRule.class)));
        assertThat(unused).as("rules no code throws").isEmpty();
        assertThat(code).as("throw sites name a VhostUserRule, not free text")
                .doesNotContainPattern("new ProtocolViolation\\([^,]+, \"")
                .doesNotContainPattern("violation\\([^,]+, \"");
    }

    @Test
    void theUnsealedFilePolicyNamesItsRule() {
        assertThat(UnsealedFiles.RULE).isSameAs(UNSEALED_FILE);
        assertThat(UnsealedFiles.REFUSAL_RULE).isEqualTo("unsealed file");
        assertThat(UnsealedFiles.REQUIREMENT).isEqualTo("BE-VU-058");
        assertThat(spec.requirement(UNSEALED_FILE.requirement()).orElseThrow().statement()).contains("shrink");
    }
}

package dev.pvkit.conformance.layers;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The layers of PVKit as rules the build checks, over the production classes of every module (this module has them
 * all on its test class path): the spec stands alone, the SDK knows nothing of the backends or the conformance
 * suite, the guest harness knows nothing of checks or the CLI, nothing depends on the CLI, and no two packages
 * depend on each other.
 */
class LayeringTest {
    static JavaClasses pvkit;

    @BeforeAll
    static void importClasses() {
        pvkit = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.pvkit");
        // The rules below must see every module, or they pass by seeing nothing.
        for (String p : new String[]{"dev.pvkit.spec", "dev.pvkit.sdk.vhostuser", "dev.pvkit.backends.blk",
                "dev.pvkit.conformance.guest", "dev.pvkit.conformance.profile", "dev.pvkit.conformance.cli"}) {
            assertThat(pvkit.containPackage(p)).as("classes of %s imported", p).isTrue();
        }
    }

    @Test
    void theSpecDependsOnNothingOfOurs() {
        check(noClasses().that().resideInAPackage("dev.pvkit.spec..")
                .should().dependOnClassesThat(resideInAPackage("dev.pvkit..").and(resideOutsideOfPackage("dev.pvkit.spec.."))));
    }

    @Test
    void theSdkNeverDependsOnTheBackendsOrTheConformanceSuite() {
        check(noClasses().that().resideInAPackage("dev.pvkit.sdk..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.pvkit.backends..", "dev.pvkit.conformance.."));
    }

    @Test
    void theBackendsNeverDependOnTheConformanceSuite() {
        check(noClasses().that().resideInAPackage("dev.pvkit.backends..")
                .should().dependOnClassesThat().resideInAPackage("dev.pvkit.conformance.."));
    }

    @Test
    void theGuestHarnessDependsOnNoOtherPackageOfOurs() {
        check(noClasses().that().resideInAPackage("dev.pvkit.conformance.guest..")
                .should().dependOnClassesThat(resideInAPackage("dev.pvkit..")
                        .and(resideOutsideOfPackage("dev.pvkit.conformance.guest.."))));
    }

    @Test
    void checksNeverDependOnTheGuestHarnessOrTheCli() {
        // No check exists yet (issue #8 adds them); the rule stands so that the first one keeps it.
        check(noClasses().that().resideInAPackage("dev.pvkit.conformance.check..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.pvkit.conformance.guest..", "dev.pvkit.conformance.cli..")
                .allowEmptyShould(true));
    }

    /** Profiles and waivers are files read into the verdict model: they know nothing of how a run is made or judged. */
    @Test
    void profilesDependOnlyOnTheSpecAndTheVerdictModel() {
        check(noClasses().that().resideInAPackage("dev.pvkit.conformance.profile..")
                .should().dependOnClassesThat(resideInAPackage("dev.pvkit..")
                        .and(resideOutsideOfPackage("dev.pvkit.conformance.profile.."))
                        .and(resideOutsideOfPackage("dev.pvkit.conformance.verdict.."))
                        .and(resideOutsideOfPackage("dev.pvkit.spec.."))));
    }

    @Test
    void nothingDependsOnTheCli() {
        check(noClasses().that().resideOutsideOfPackage("dev.pvkit.conformance.cli..")
                .should().dependOnClassesThat().resideInAPackage("dev.pvkit.conformance.cli.."));
    }

    @Test
    void noTwoPackagesDependOnEachOther() {
        check(slices().matching("dev.pvkit.(**)").should().beFreeOfCycles());
    }

    private static void check(ArchRule rule) {
        rule.check(pvkit);
    }
}

package dev.pvkit.spec;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Properties of the small value types the loader builds on. */
class ValueTypeProperties {

    @Property
    void formulaRoundTripsThroughItsText(@ForAll @LongRange(max = 1L << 40) long constant,
                                        @ForAll @LongRange(max = 1 << 20) long perQ,
                                        @ForAll @LongRange(min = 1, max = 32768) long q) {
        Formula f = new Formula(constant, perQ);
        Formula parsed = Formula.parse(f.toString());
        assertThat(parsed).isEqualTo(f);
        assertThat(parsed.at(q)).isEqualTo(constant + perQ * q);
    }

    @Property
    void formulaTermsMayComeInAnyOrder(@ForAll @IntRange(max = 1000) int a, @ForAll @IntRange(max = 1000) int b,
                                       @ForAll @IntRange(max = 1000) int c) {
        assertThat(Formula.parse(a + "*Q + " + b + " + " + c)).isEqualTo(new Formula(b + c, a));
    }

    @Property
    void formulaRejectsOtherSymbols(@ForAll("notFormulas") String text) {
        assertThatThrownBy(() -> Formula.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Provide
    Arbitrary<String> notFormulas() {
        return Arbitraries.of("N", "2*N", "6 - 2*Q", "Q*2", "", "  ", "4 +", "+ 4", "2**Q", "0x10", "1.5", "Q Q");
    }

    @Property
    void versionRoundTripsAndOrdersLikeItsNumbers(@ForAll @IntRange(max = 999) int a1, @ForAll @IntRange(max = 999) int b1,
                                                   @ForAll @IntRange(max = 999) int c1, @ForAll @IntRange(max = 999) int a2,
                                                   @ForAll @IntRange(max = 999) int b2, @ForAll @IntRange(max = 999) int c2) {
        SpecVersion v1 = SpecVersion.parse(a1 + "." + b1 + "." + c1);
        SpecVersion v2 = SpecVersion.parse(a2 + "." + b2 + "." + c2);
        assertThat(v1.toString()).isEqualTo(a1 + "." + b1 + "." + c1);
        int byNumbers = a1 != a2 ? Integer.compare(a1, a2) : b1 != b2 ? Integer.compare(b1, b2) : Integer.compare(c1, c2);
        assertThat(Integer.signum(v1.compareTo(v2))).isEqualTo(Integer.signum(byNumbers));
    }

    @Example
    void preReleaseSortsBeforeItsRelease() {
        assertThat(SpecVersion.parse("1.0.0-rc.1")).isLessThan(SpecVersion.parse("1.0.0"));
        assertThat(SpecVersion.parse("1.0.0+build.7")).isEqualByComparingTo(SpecVersion.parse("1.0.0"));
    }

    @Property
    void versionRejectsNonSemver(@ForAll("notVersions") String text) {
        assertThatThrownBy(() -> SpecVersion.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a semantic version");
    }

    @Provide
    Arbitrary<String> notVersions() {
        return Arbitraries.of("1", "1.0", "01.0.0", "1.00.0", "v1.0.0", "1.0.0-", "1.0.0.0", "1.0.x", "", " 1.0.0");
    }

    @Property
    void wellFormedVirtioSectionsParse(@ForAll @IntRange(min = 1, max = 9) int minor,
                                       @ForAll("sectionNumbers") String section) {
        String text = "virtio-1." + minor + " §" + section;
        SourceRef ref = SourceRef.parse(text).orElseThrow();
        assertThat(ref.kind()).isEqualTo(SourceRef.Kind.VIRTIO);
        assertThat(ref.locator()).isEqualTo("1." + minor + " §" + section);
    }

    @Provide
    Arbitrary<String> sectionNumbers() {
        return Arbitraries.integers().between(1, 40).list().ofMinSize(1).ofMaxSize(6)
                .map(l -> String.join(".", l.stream().map(String::valueOf).toList()));
    }

    @Example
    void sourceRefForms() {
        assertThat(SourceRef.parse("xen:xen/include/public/io/blkif.h")).get()
                .extracting(SourceRef::kind).isEqualTo(SourceRef.Kind.XEN);
        assertThat(SourceRef.parse("vhost-user:Ring states")).get()
                .extracting(SourceRef::locator).isEqualTo("Ring states");
        assertThat(SourceRef.parse("pvkit:guest agent")).get()
                .extracting(SourceRef::kind).isEqualTo(SourceRef.Kind.PVKIT);
        for (String bad : new String[]{"virtio-1.4 2.7", "virtio-1.4 §2.07", "virtio-1.4 §", "virtio 1.4 §2.7",
                "xen:io/ring.h", "xen:xen/include/public/io/ring.c", "vhost-user:", "vhost-user: x",
                "pvkit:", "spec §1", "virtio-1.4 §2.7\n"}) {
            assertThat(SourceRef.parse(bad)).as(bad).isEmpty();
        }
    }

    @Example
    void strengthKeywordMustBeStatedAsSuch() {
        assertThat(SpecConsistency.statesStrength("The driver MUST set it.", Strength.MUST)).isTrue();
        assertThat(SpecConsistency.statesStrength("The driver MUST NOT set it.", Strength.MUST)).isFalse();
        assertThat(SpecConsistency.statesStrength("The driver MUST NOT set it.", Strength.MUST_NOT)).isTrue();
        assertThat(SpecConsistency.statesStrength("The driver must not set it.", Strength.MUST_NOT)).isFalse();
        assertThat(SpecConsistency.statesStrength("The driver SHOULD NOT set it.", Strength.SHOULD)).isFalse();
        assertThat(SpecConsistency.statesStrength("The driver MAYBE sets it.", Strength.MAY)).isFalse();
        assertThat(SpecConsistency.statesStrength("The device MAY set it.", Strength.MAY)).isTrue();
    }
}

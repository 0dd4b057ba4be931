package dev.pvkit.spec;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One way to break {@link SpecFixture}, and what a check must then report: a problem at {@code where} whose message
 * contains {@code message}. A parameterized test case; it shows as its name.
 */
record BrokenFixture(String name, String where, String message, UnaryOperator<SpecFixture> breakIt) {

    /** Writes the broken fixture to {@code dir}, loads it, and asserts that {@code check} reports the problem. */
    void assertReportedBy(Function<PvSpec, List<SpecConsistency.Problem>> check, Path dir, String description) {
        PvSpec spec = PvSpec.load(breakIt.apply(new SpecFixture()).writeTo(dir));

        assertThat(check.apply(spec))
                .as(description)
                .anySatisfy(p -> {
                    assertThat(p.where()).isEqualTo(where);
                    assertThat(p.message()).contains(message);
                });
    }

    @Override
    public String toString() {
        return name;
    }
}

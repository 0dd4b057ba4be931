package dev.pvkit.maven;

import dev.pvkit.conformance.guest.Accelerator;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ParametersTest {

    @Test
    void choicesIgnoreCaseAsUsersTypeThem() {
        assertThat(Parameters.choice("accel", "tcg", Accelerator.class)).isEqualTo(Accelerator.TCG);
        assertThat(Parameters.choice("accel", " KVM ", Accelerator.class)).isEqualTo(Accelerator.KVM);
    }

    @Test
    void aWrongChoiceNamesTheParameterItsPropertyAndTheChoices() {
        assertThatThrownBy(() -> Parameters.choice("accel", "hvf", Accelerator.class))
                .hasMessage("<accel> (pvkit.accel): 'hvf' is not one of auto, kvm, tcg");
    }

    @Test
    void durationsReadAsTheCliReadsThem() {
        assertThat(Parameters.duration("timeout", "8m")).isEqualTo(Duration.ofMinutes(8));
        assertThat(Parameters.duration("timeBudget", "90")).isEqualTo(Duration.ofSeconds(90));
        assertThatThrownBy(() -> Parameters.duration("time-budget", "soon"))
                .hasMessageStartingWith("<timeBudget> (pvkit.timeBudget): 'soon' is not a duration");
    }
}

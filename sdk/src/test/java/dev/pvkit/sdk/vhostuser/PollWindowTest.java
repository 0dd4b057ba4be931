package dev.pvkit.sdk.vhostuser;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The adaptive poll window: grows while the driver comes back within the maximum, shrinks when it stays away. */
class PollWindowTest {
    static final long MAX = 64_000;

    @Test
    void aDriverThatComesBackSoonGrowsTheWindowByDoublingUpToTheMaximum() {
        PollWindow w = new PollWindow(MAX);
        assertThat(w.nanos()).isZero();
        long[] expected = {4_000, 8_000, 16_000, 32_000, 64_000, 64_000};
        for (long e : expected) {
            w.idleEnded(50_000); // longer than the window, shorter than the maximum
            assertThat(w.nanos()).isEqualTo(e);
        }
    }

    @Test
    void workFoundWithinTheWindowLeavesItAlone() {
        PollWindow w = grown(16_000);
        w.idleEnded(3_000);
        w.idleEnded(16_000);
        assertThat(w.nanos()).isEqualTo(16_000);
    }

    @Test
    void aDriverThatStaysAwayHalvesTheWindowThenEndsPolling() {
        PollWindow w = grown(MAX);
        w.idleEnded(MAX + 1);
        assertThat(w.nanos()).isEqualTo(32_000);
        w.idleEnded(5_000_000);
        w.idleEnded(5_000_000);
        w.idleEnded(5_000_000);
        assertThat(w.nanos()).isEqualTo(4_000);
        w.idleEnded(5_000_000);
        assertThat(w.nanos()).as("below 4 µs polling is not worth it").isZero();
        w.idleEnded(1_000_000_000);
        assertThat(w.nanos()).isZero();
    }

    @Test
    void aZeroMaximumNeverPolls() {
        PollWindow w = new PollWindow(0);
        assertThat(w.enabled()).isFalse();
        w.idleEnded(1_000);
        w.idleEnded(0);
        assertThat(w.nanos()).isZero();
        assertThatThrownBy(() -> new PollWindow(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aMaximumBelowTheFirstStepIsStillRespected() {
        PollWindow w = new PollWindow(1_000);
        w.idleEnded(500);
        assertThat(w.nanos()).isEqualTo(1_000);
    }

    private static PollWindow grown(long to) {
        PollWindow w = new PollWindow(MAX);
        while (w.nanos() < to) w.idleEnded(Math.min(MAX, w.nanos() + 1));
        assertThat(w.nanos()).isEqualTo(to);
        return w;
    }
}

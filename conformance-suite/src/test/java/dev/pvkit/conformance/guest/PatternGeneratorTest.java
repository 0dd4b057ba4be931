package dev.pvkit.conformance.guest;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PatternGeneratorTest {

    @Test
    void knownVectors() {
        // seed 7: state 0x001ce0e7 after one step, emitted little-endian (computed independently with python)
        assertThat(HexFormat.of().formatHex(PatternGenerator.bytes(7, 10))).isEqualTo("e7e01c000792091c43c1");
        // seed 2463534242 is Marsaglia's example start; one step gives 723471715 = 0x2b1f4b63
        assertThat(PatternGenerator.bytes(2463534242L, 4)).containsExactly(0x63, 0x4d, 0x1f, 0x2b);
        assertThat(PatternGenerator.bytes(0, 4)).isNotEqualTo(new byte[4]);
        assertThat(PatternGenerator.bytes(1, 0)).isEmpty();
    }

    @Property(tries = 200)
    void aPrefixOfALongerStreamIsTheShorterStream(@ForAll @LongRange(max = 0xffffffffL) long seed,
                                                   @ForAll @IntRange(max = 300) int n) {
        byte[] longer = PatternGenerator.bytes(seed, n + 7);
        assertThat(PatternGenerator.bytes(seed, n)).isEqualTo(Arrays.copyOf(longer, n));
    }

    @Test
    void seedsOutside32BitsAreRejected() {
        assertThatThrownBy(() -> PatternGenerator.bytes(-1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PatternGenerator.bytes(1L << 32, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}

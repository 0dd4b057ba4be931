package dev.pvkit.conformance.matrix;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Cutting a matrix into shards: disjoint, complete, balanced; the shard named on the command line or by the environment. */
class ShardTest {
    @TempDir
    Path dir;

    @Test
    void theShardsOfAMatrixAreDisjointCompleteAndBalanced() {
        for (int seeds = 1; seeds <= 7; seeds++) {
            StringBuilder list = new StringBuilder();
            for (int s = 1; s <= seeds; s++) list.append(s == 1 ? "" : ", ").append(s);
            Matrix m = ShardFixtures.matrix(dir, ShardFixtures.TWO_BY_TWO.replace("seeds: [1, 2]", "seeds: [" + list + "]"));
            int cells = m.cells().size();
            for (int n = 1; n <= cells + 2; n++) {
                List<Integer> seen = new ArrayList<>();
                int smallest = Integer.MAX_VALUE;
                int largest = 0;
                for (int k = 1; k <= n; k++) {
                    List<MatrixCell> part = new Shard(k, n).cellsOf(m);
                    part.forEach(c -> seen.add(c.number()));
                    smallest = Math.min(smallest, part.size());
                    largest = Math.max(largest, part.size());
                }
                assertThat(seen).as("%d cells in %d shards: each cell in exactly one shard", cells, n)
                        .hasSize(cells).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(m.cells().stream().map(MatrixCell::number).toList());
                assertThat(largest - smallest).as("%d cells in %d shards: balanced", cells, n).isLessThanOrEqualTo(1);
            }
        }
    }

    @Test
    void cellsAreDealtInTurnSoASlowGuestsCellsSpreadOverTheShards() {
        Matrix m = ShardFixtures.matrix(dir, ShardFixtures.TWO_BY_TWO);
        assertThat(new Shard(1, 2).cellsOf(m)).extracting(MatrixCell::title).containsExactly("debian · blk-quick · seed 1", "seabios · blk-quick · seed 1");
        assertThat(new Shard(2, 2).cellsOf(m)).extracting(MatrixCell::number).containsExactly(2, 4);
        assertThat(new Shard(4, 4).cellsOf(m)).extracting(MatrixCell::number).containsExactly(4);
        assertThat(new Shard(5, 5).cellsOf(m)).as("more shards than cells: the last runs nothing").isEmpty();
        assertThat(Shard.WHOLE.cellsOf(m)).hasSize(4);
    }

    @Test
    void theShardComesFromTheCommandLineOrTheEnvironment() {
        assertThat(Shard.parse("2/4", Map.of())).isEqualTo(new Shard(2, 4));
        assertThat(Shard.parse(" 1/1 ", Map.of())).isEqualTo(Shard.WHOLE);
        // Kubernetes Indexed Jobs count from 0.
        assertThat(Shard.parse("auto/4", Map.of(Shard.JOB_COMPLETION_INDEX, "0"))).isEqualTo(new Shard(1, 4));
        assertThat(Shard.parse("auto/4", Map.of(Shard.JOB_COMPLETION_INDEX, "3"))).isEqualTo(new Shard(4, 4));
        // A CI matrix variable counts from 1, as --shard does.
        assertThat(Shard.parse("auto/4", Map.of(Shard.PVKIT_SHARD, "3"))).isEqualTo(new Shard(3, 4));
        assertThat(Shard.parse("auto/4", Map.of(Shard.JOB_COMPLETION_INDEX, "1", Shard.PVKIT_SHARD, "4")))
                .as("the Job's index wins").isEqualTo(new Shard(2, 4));
    }

    @Test
    void aBadShardIsOneLineNamingWhatIsWrong() {
        Map<String, String> none = Map.of();
        assertThatThrownBy(() -> Shard.parse("5/4", none)).hasMessage("--shard 5/4: K must be 1..4 (1-based), got 5");
        assertThatThrownBy(() -> Shard.parse("0/4", none)).hasMessage("--shard 0/4: K must be 1..4 (1-based), got 0");
        assertThatThrownBy(() -> Shard.parse("2-4", none)).hasMessage("--shard must be K/N (e.g. 2/4) or auto/N, got '2-4'");
        assertThatThrownBy(() -> Shard.parse("one/4", none)).hasMessage("--shard one/4: K must be a whole number, got 'one'");
        assertThatThrownBy(() -> Shard.parse("1/0", none)).hasMessage("--shard 1/0: N must be 1..1000, got 0");
        assertThatThrownBy(() -> Shard.parse("auto/4", none)).hasMessage("--shard auto/4 needs JOB_COMPLETION_INDEX (0-based, as "
                + "Kubernetes Indexed Jobs set it) or PVKIT_SHARD (1-based) in the environment; neither is set");
        assertThatThrownBy(() -> Shard.parse("auto/4", Map.of(Shard.JOB_COMPLETION_INDEX, "4")))
                .hasMessage("JOB_COMPLETION_INDEX=4 is not a shard of 4 (0..3, 0-based)");
        assertThatThrownBy(() -> Shard.parse("auto/4", Map.of(Shard.PVKIT_SHARD, "0")))
                .hasMessage("PVKIT_SHARD=0 is not a shard of 4 (1..4)");
        assertThatThrownBy(() -> Shard.parse("auto/4", Map.of(Shard.PVKIT_SHARD, "two")))
                .hasMessage("PVKIT_SHARD must be a whole number, got 'two'");
        Set<Class<?>> kinds = new HashSet<>();
        for (String bad : List.of("5/4", "x", "auto/4")) {
            try {
                Shard.parse(bad, none);
            } catch (RuntimeException e) {
                kinds.add(e.getClass());
            }
        }
        assertThat(kinds).containsExactly(InvalidMatrixException.class);
    }
}

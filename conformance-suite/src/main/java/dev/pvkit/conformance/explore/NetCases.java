package dev.pvkit.conformance.explore;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * jqwik generators for virtio-net cases. Every choice shrinks towards what the plain device does (in-order
 * transmit completions, each at once, no spurious notifications, the link left alone) and towards a short
 * workload of small pings from the first CPU, so a shrunk case shows only what matters.
 */
public final class NetCases {
    private NetCases() {
    }

    /** Ping payload sizes, the plainest first: a small ping, one near the MTU, fragmented ones. */
    private static final int[] SIZES = {56, 1400, 1472, 3000, NetWorkload.MAX_SIZE};

    private record Serving(Completions completions, int batch, int delayMicros, boolean oneAtATime, boolean spurious, long seed) {
    }

    /** Cases for a guest with {@code cpus} CPUs (one per queue pair). */
    public static Arbitrary<NetCase> cases(int cpus) {
        Arbitrary<Serving> serving = Combinators.combine(
                Arbitraries.of(Completions.IN_ORDER, Completions.REVERSED, Completions.SHUFFLED),
                Arbitraries.integers().between(1, 8),
                Arbitraries.integers().between(0, 2000),
                Arbitraries.of(false, true),
                Arbitraries.of(false, true),
                Arbitraries.longs().between(0, 1 << 20)).as(Serving::new);
        // The link events are rarer (3 in 10): each costs seconds of a live guest's time.
        Arbitrary<NetBehaviour> behaviour = Combinators.combine(serving,
                        Arbitraries.integers().between(0, 9).map(k -> k >= 7), Arbitraries.integers().between(0, 9).map(k -> k >= 7))
                .as((s, flap, announce) -> new NetBehaviour(s.completions(), s.batch(), s.delayMicros(), s.oneAtATime(),
                        s.spurious(), flap, announce, s.seed()));
        Arbitrary<NetWorkload.Ping> ping = Combinators.combine(
                Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(0, SIZES.length - 1).map(i -> SIZES[i]),
                Arbitraries.integers().between(0, cpus - 1)).as(NetWorkload.Ping::new);
        Arbitrary<NetWorkload> workload = ping.list().ofMinSize(1).ofMaxSize(3).map(NetWorkload::new);
        return Combinators.combine(behaviour, workload).as(NetCase::new);
    }

    /** A case's generated choices by name: what the statistics count. */
    public static Map<String, String> dimensions(NetCase c) {
        NetBehaviour b = c.behaviour();
        Map<String, String> d = new LinkedHashMap<>();
        d.put("transmit completion order", b.completions().name().toLowerCase(Locale.ROOT).replace('_', '-'));
        d.put("transmit chains held", b.batch() == 1 ? "1" : b.batch() <= 4 ? "2-4" : "5-8");
        d.put("given back", b.oneAtATime() ? "one per notification" : "together");
        d.put("hold time", b.delayMicros() == 0 ? "0" : b.delayMicros() <= 100 ? "up to 100 us" : "over 100 us");
        d.put("spurious notifications", b.spurious() ? "yes" : "no");
        d.put("link down and up", b.linkFlap() ? "yes" : "no");
        d.put("announce requested", b.announce() ? "yes" : "no");
        d.put("echo requests", String.valueOf(c.workload().requests()));
        d.put("largest ping", String.valueOf(c.workload().pings().stream().mapToInt(NetWorkload.Ping::size).max().orElse(0)));
        return d;
    }
}

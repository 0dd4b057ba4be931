package dev.pvkit.conformance.selftest;

import dev.pvkit.conformance.explore.CaseCodec;
import dev.pvkit.conformance.explore.Completions;
import dev.pvkit.conformance.explore.Exploration;
import dev.pvkit.conformance.explore.Explorer;
import dev.pvkit.conformance.explore.NetBehaviourDevice;
import dev.pvkit.conformance.explore.NetCase;
import dev.pvkit.conformance.explore.NetCases;
import dev.pvkit.conformance.explore.NetWorkload;
import dev.pvkit.conformance.explore.TryOutcome;
import dev.pvkit.conformance.explore.TryRunner;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The net self-test of generated device behaviour: a Java virtio-net driver on a real {@link NetRig}, its device
 * served as each generated case says ({@link NetBehaviourDevice}), transmits the case's pings as bursts of UDP
 * packets. A driver that frees transmit buffers in the order it made them available, rather than the order the
 * device used them, must be found and shrunk to a case that reorders a burst; the correct driver passes every try.
 */
class NetFlawSearchTest {
    static final long SEED = 20261205L;
    static final int TRIES = 100;
    static final int SHRINK_TRIES = 40;

    /** A Java net driver, correct or taking used transmit chains to come back in the order it posted them. */
    static final class JavaNetTries implements TryRunner<NetCase> {
        private final boolean assumesInOrder;

        JavaNetTries(boolean assumesInOrder) {
            this.assumesInOrder = assumesInOrder;
        }

        @Override
        public TryOutcome run(NetCase c) {
            try (NetRig rig = new NetRig(NetRig.features(), d -> {
                NetBehaviourDevice served = new NetBehaviourDevice(d);
                served.behave(c.behaviour());
                return served;
            })) {
                rig.receiveBuffers(8, 1526);
                for (NetWorkload.Ping p : c.workload().pings()) {
                    // One UDP packet per echo request, up to a full frame: the burst is what the device may reorder.
                    List<byte[]> burst = Collections.nCopies(p.count(), NetRig.udp(Math.min(p.size(), 1472)));
                    NetRig.Burst b = rig.transmitBurst(burst, Duration.ofSeconds(10));
                    if (b.used().size() < burst.size()) return TryOutcome.failed("lost", b.used().size() + " of " + burst.size() + " transmit chains came back");
                    if (assumesInOrder && !b.used().equals(b.posted())) {
                        return TryOutcome.failed("driver-error", "freed transmit buffers " + b.posted() + " while the device used " + b.used());
                    }
                }
                return TryOutcome.passed();
            }
        }
    }

    private static Exploration<NetCase> search(boolean assumesInOrder, int tries) throws InterruptedException {
        return new Explorer<>(NetCases.cases(1), new JavaNetTries(assumesInOrder), NetCases::dimensions)
                .explore(SEED, tries, Duration.ofMinutes(3), SHRINK_TRIES, Explorer.Progress.NONE);
    }

    @Test
    void aDriverAssumingInOrderTransmitCompletionsIsFoundAndShrunkToAReorderedBurst() throws InterruptedException {
        Exploration<NetCase> r = search(true, TRIES);
        assertThat(r.failed()).as("found within %d tries", TRIES).isTrue();
        NetCase minimal = r.finding().minimal();
        System.out.printf("[net-flaw-search] in-order transmit assumption: try %d, %d shrink steps, reproduced %d/%d%n      minimal: %s%n",
                r.finding().tryNumber(), r.finding().shrinkSteps(), r.finding().reproduced(), r.finding().confirmations(), minimal);
        assertThat(r.finding().outcome().kind()).isEqualTo("driver-error");
        assertThat(minimal.behaviour().completions()).as("the device reorders").isNotEqualTo(Completions.IN_ORDER);
        assertThat(minimal.behaviour().batch()).as("and holds a burst to reorder it").isGreaterThan(1);
        assertThat(minimal.workload().pings()).as("shrunk to one burst").hasSize(1);
        assertThat(minimal.workload().pings().get(0).count()).isEqualTo(2);
        assertThat(minimal.behaviour().linkFlap() || minimal.behaviour().announce() || minimal.behaviour().spurious())
                .as("nothing that does not matter is left").isFalse();
        NetCase replayed = CaseCodec.decodeNet(CaseCodec.encode(minimal));
        assertThat(replayed).isEqualTo(minimal);
        assertThat(new JavaNetTries(true).run(replayed).kind()).as("the replay word fails the same way").isEqualTo("driver-error");
    }

    @Test
    void theCorrectDriverPassesEveryTry() throws InterruptedException {
        Exploration<NetCase> r = search(false, 40);
        assertThat(r.failed()).as("%s", r.finding()).isFalse();
        assertThat(r.tries()).isEqualTo(40);
        assertThat(r.statistics().get("transmit completion order")).containsKeys("in-order", "reversed", "shuffled");
    }
}

package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.explore.BlkBehaviour;
import dev.pvkit.conformance.profile.FeatureSet;
import dev.pvkit.conformance.profile.Profile;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Which guest boots the generated-behaviour phase needs: QEMU fixes the features a guest sees when it creates the
 * device, so each feature set of the profile gets a boot of its own (the standard workload's boot serves the set
 * QEMU's defaults give: split rings with event_idx and indirect descriptors), and the tries and time are shared out
 * evenly. A set with several queues boots with as many vCPUs as it has queues, up to {@link #MAX_CPUS} (Linux uses
 * no more queues than CPUs); sets with more than {@link #MAX_QUEUES} queues are skipped.
 *
 * @param main          the feature set of the standard workload's boot
 * @param extra         the sets that get a boot of their own, in profile order
 * @param skipped       the sets this run cannot cover, with why
 * @param triesPerBoot  tries each boot runs
 * @param budgetPerBoot the time each boot's tries may take
 */
record BootPlan(FeatureSet main, List<FeatureSet> extra, List<String> skipped, int triesPerBoot, Duration budgetPerBoot) {
    /** The most request queues certify's disk serves. */
    static final int MAX_QUEUES = 4;
    /** The most vCPUs a multi-queue boot gets: more only slows TCG on a small host. */
    static final int MAX_CPUS = 2;

    /** What QEMU's vhost-user-blk-pci shows a guest with no device properties given. */
    static final FeatureSet QEMU_DEFAULT = new FeatureSet("split-event-idx-indirect", FeatureSet.Ring.SPLIT, true, true, 1);

    static BootPlan of(Profile profile, ExploreOptions e) {
        if (e.replay() != null) {
            BlkBehaviour b = e.replay().behaviour();
            FeatureSet f = new FeatureSet("replayed", b.packed() ? FeatureSet.Ring.PACKED : FeatureSet.Ring.SPLIT, b.eventIdx(), b.indirect(), 1);
            return new BootPlan(f, List.of(), List.of(), 1, e.timeBudget());
        }
        List<FeatureSet> sets = profile == null ? List.of(QEMU_DEFAULT) : profile.featureSets();
        FeatureSet main = QEMU_DEFAULT;
        List<FeatureSet> extra = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        boolean mainNamed = false;
        for (FeatureSet f : sets) {
            if (f.queues() > MAX_QUEUES) {
                skipped.add(f.name() + " (" + f.queues() + " queues: certify's disk serves at most " + MAX_QUEUES + ")");
            } else if (!mainNamed && f.sameFeatures(QEMU_DEFAULT)) {
                main = f;
                mainNamed = true;
            } else if (!f.sameFeatures(QEMU_DEFAULT) && extra.stream().noneMatch(f::sameFeatures)) {
                extra.add(f);
            }
        }
        int boots = 1 + extra.size();
        int tries = e.tries() == 0 ? 0 : Math.max(1, e.tries() / boots);
        return new BootPlan(main, List.copyOf(extra), List.copyOf(skipped), tries, e.timeBudget().dividedBy(boots));
    }

    /** The request queues the disk must offer to serve every set of the plan. */
    int queues() {
        int q = main.queues();
        for (FeatureSet f : extra) q = Math.max(q, f.queues());
        return q;
    }

    /** QEMU device properties that give a guest feature set {@code f}'s ring features (packed is set apart). */
    static List<String> qemuProperties(FeatureSet f) {
        return List.of("event_idx=" + (f.eventIdx() ? "on" : "off"), "indirect_desc=" + (f.indirectDesc() ? "on" : "off"));
    }

    /** The offer a driver sees in feature set {@code f}, on a device that offers {@code device}. */
    static BlkBehaviour seenOffer(FeatureSet f, BlkBehaviour device) {
        BlkBehaviour b = BlkBehaviour.plain().withPacked(f.ring() == FeatureSet.Ring.PACKED);
        return new BlkBehaviour(b.packed(), device.queueSize(), f.eventIdx(), f.indirectDesc(), device.readOnly(), device.segMax(),
                b.completions(), b.batch(), b.delayMicros(), b.oneAtATime(), b.failures(), b.capacityChange(), b.spurious(), b.seed(),
                device.geometry());
    }
}

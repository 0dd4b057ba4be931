package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.RingEvent;
import dev.pvkit.sdk.virtqueue.ChainRule;

import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The descriptor chain (split) and descriptor list (packed) rules, derived from the SDK's {@link ChainRule}s: each
 * rule's requirement for the ring format is broken by a chain the device refused under that rule (or served while
 * reporting it as tolerated), and kept by a session whose chains of that format were all read without it. Rules
 * sharing one id (a buffer or an indirect table outside memory) are one requirement. The available-index rule
 * ({@link ChainRule#AVAIL_INDEX_JUMP}) is not a chain's: {@link AvailIndexCheck} decides it, because the device's
 * refusal alone cannot tell a jump ahead from a step back.
 */
public final class DescriptorChainCheck implements Check {
    /** Rules another check decides. */
    static final Set<ChainRule> DECIDED_ELSEWHERE = EnumSet.of(ChainRule.AVAIL_INDEX_JUMP);

    private static final Set<String> SPLIT_IDS = ids(false);
    private static final Set<String> PACKED_IDS = ids(true);
    private static final Set<String> IDS = union(SPLIT_IDS, PACKED_IDS);

    private static Set<String> ids(boolean packed) {
        Set<String> out = new LinkedHashSet<>();
        for (ChainRule r : ChainRule.values()) {
            if (!DECIDED_ELSEWHERE.contains(r) && r.requirement(packed) != null) out.add(r.requirement(packed));
        }
        return Set.copyOf(out);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> out = new LinkedHashSet<>(a);
        out.addAll(b);
        return Set.copyOf(out);
    }

    @Override
    public Set<String> decides() {
        return IDS;
    }

    @Override
    public String name() {
        return "descriptor chain rules";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        Optional<RingFormat> format = RingFormat.of(session);
        for (Event e : session.events()) {
            if (e instanceof RingEvent.ChainRefused r && !DECIDED_ELSEWHERE.contains(r.rule())
                    && r.requirement() != null && IDS.contains(r.requirement())) {
                findings.broke(r.requirement(), r.queue(), r, summary(r, format.map(RingFormat::packed).orElse(PACKED_IDS.contains(r.requirement()))));
            } else if (e instanceof RingEvent.ChainSeen s && format.isPresent()) {
                for (String id : format.get().packed() ? PACKED_IDS : SPLIT_IDS) findings.kept(id, s);
            }
        }
    }

    private static String summary(RingEvent.ChainRefused r, boolean packed) {
        String kind = r.indirect() ? "indirect table entry" : packed ? "ring slot" : "descriptor";
        String where = r.descriptor() < 0 ? "" : String.format(" at %s %d (addr 0x%x, len %d, flags 0x%x)", kind,
                r.descriptor(), r.address(), r.length(), r.flags());
        return String.format("queue %d, %s %d: the driver made it available with %s%s (%s); the rule asks for %s",
                r.queue(), packed ? "list at slot" : "chain with head", r.head(), did(r.rule(), packed), where, r.detail(),
                asks(r.rule(), packed));
    }

    /** What the driver did, in a few words. */
    private static String did(ChainRule rule, boolean packed) {
        return switch (rule) {
            case HEAD_OUT_OF_RANGE -> "a head index beyond the descriptor table";
            case NEXT_OUT_OF_RANGE -> "a next link beyond its table";
            case LOOP -> "next links that revisit a descriptor";
            case CHAIN_TOO_LONG -> "more descriptors than the queue size";
            case TOTAL_LENGTH_OVERFLOW -> "lengths adding up past the limit";
            case BUFFER_OUTSIDE_MEMORY -> "a buffer outside guest memory";
            case READABLE_AFTER_WRITABLE -> "a device-readable buffer after a device-writable one";
            case INDIRECT_NOT_NEGOTIATED -> "INDIRECT, which was not negotiated";
            case INDIRECT_WITH_NEXT -> packed ? "INDIRECT in a NEXT-chained list" : "INDIRECT and NEXT on one descriptor";
            case NESTED_INDIRECT -> "INDIRECT inside an indirect table";
            case INDIRECT_TABLE_FLAGS -> "a flag other than WRITE in an indirect table entry";
            case INDIRECT_BAD_LENGTH -> "an indirect table length that is zero or not a multiple of 16";
            case INDIRECT_TABLE_OUTSIDE_MEMORY -> "an indirect table outside guest memory";
            case AVAIL_INDEX_JUMP -> "an available index too far ahead";
            case LIST_NOT_AVAILABLE -> "a later descriptor not marked available with the list's wrap counter";
            case LIST_INTO_HELD_SLOTS -> "a NEXT flag carrying it on into ring slots the device had not used yet";
        };
    }

    /** What the rule asks, in a few words. */
    private static String asks(ChainRule rule, boolean packed) {
        return switch (rule) {
            case HEAD_OUT_OF_RANGE -> "head indices below the queue size";
            case NEXT_OUT_OF_RANGE -> "next links below Q in the ring's table and below len/16 in an indirect table";
            case LOOP -> "chains whose next links never revisit a descriptor";
            case CHAIN_TOO_LONG -> packed ? "lists of at most Q descriptors" : "chains of at most Q descriptors";
            case TOTAL_LENGTH_OVERFLOW -> packed ? "lengths adding up to at most 2^32 - 1 bytes" : "lengths adding up to at most 2^32 bytes";
            case BUFFER_OUTSIDE_MEMORY, INDIRECT_TABLE_OUTSIDE_MEMORY -> "every buffer and indirect table inside guest memory";
            case READABLE_AFTER_WRITABLE -> "every device-writable descriptor after every device-readable one";
            case INDIRECT_NOT_NEGOTIATED -> "INDIRECT only once VIRTIO_F_INDIRECT_DESC is negotiated";
            case INDIRECT_WITH_NEXT -> packed ? "no INDIRECT in a list chained with NEXT" : "never INDIRECT and NEXT together";
            case NESTED_INDIRECT -> "no INDIRECT inside an indirect table";
            case INDIRECT_TABLE_FLAGS -> "no flag but WRITE inside an indirect table";
            case INDIRECT_BAD_LENGTH -> "an indirect table length that is a non-zero multiple of 16";
            case AVAIL_INDEX_JUMP -> "an available index at most Q ahead of the used index";
            case LIST_NOT_AVAILABLE -> "AVAIL and USED set for the list's wrap counter in every descriptor of the list";
            case LIST_INTO_HELD_SLOTS -> "a check that the ring has free slots for the whole list before its first descriptor is made available";
        };
    }
}

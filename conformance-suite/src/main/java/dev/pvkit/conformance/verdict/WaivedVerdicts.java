package dev.pvkit.conformance.verdict;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Verdicts after waivers: a failed requirement with a waiver that still holds becomes {@link Outcome#WAIVED}; one
 * whose waiver has expired stays a failure and carries the waiver, so that reports can say when it expired. Waivers
 * whose requirement did not fail are listed as unused. Which waivers may exist (known ids, no duplicates) is the
 * loader's business; here every waiver is taken as given.
 *
 * @param verdicts the verdicts, in the order given, each carrying the waiver that named it if it failed
 * @param uses     every waiver with what became of it, in the order given
 */
public record WaivedVerdicts(List<RequirementVerdict> verdicts, List<WaiverUse> uses) {

    public WaivedVerdicts {
        verdicts = List.copyOf(verdicts);
        uses = List.copyOf(uses);
    }

    /** Applies {@code waivers} to {@code verdicts}, judging expiry on {@code today}. */
    public static WaivedVerdicts apply(List<RequirementVerdict> verdicts, List<Waiver> waivers, LocalDate today) {
        Map<String, Waiver> byId = new LinkedHashMap<>();
        for (Waiver w : waivers) byId.putIfAbsent(w.id(), w);
        Map<String, WaiverUse.Status> status = new LinkedHashMap<>();
        List<RequirementVerdict> out = new ArrayList<>(verdicts.size());
        for (RequirementVerdict v : verdicts) {
            Waiver w = byId.get(v.requirement().id());
            if (w == null || v.outcome() != Outcome.FAIL) {
                out.add(v);
                continue;
            }
            boolean expired = w.expiredOn(today);
            status.put(w.id(), expired ? WaiverUse.Status.EXPIRED : WaiverUse.Status.APPLIED);
            out.add(v.waivedBy(w, expired));
        }
        List<WaiverUse> uses = new ArrayList<>(waivers.size());
        for (Waiver w : waivers) uses.add(new WaiverUse(w, status.getOrDefault(w.id(), WaiverUse.Status.UNUSED)));
        return new WaivedVerdicts(out, uses);
    }
}

package dev.pvkit.conformance.verdict;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a certification run concluded: what ran, against which spec, and one verdict per requirement in scope.
 *
 * @param toolVersion PVKit's version
 * @param specVersion the PVKit specification version the verdicts cite
 * @param guest       what ran in the guest: kernel, firmware, mode (agent workload or passive)
 * @param device      the device served and the features it offered
 * @param startedAt   ISO-8601 host time the run started
 * @param seconds     how long the run took
 * @param sessions    the driver sessions seen, in order
 * @param verdicts    one per requirement in scope, in catalog order
 * @param failOn      which failures fail the run
 * @param terms       the profile and the waivers the run was certified under
 * @param exploration what the generated-behaviour phase did, or null when the run had none; a failing try fails the run
 */
public record Certification(String toolVersion, String specVersion, Map<String, String> guest,
                            Map<String, String> device, String startedAt, double seconds,
                            List<SessionSummary> sessions, List<RequirementVerdict> verdicts, FailOn failOn,
                            CertificationTerms terms, ExplorationSummary exploration) {

    public Certification {
        guest = Map.copyOf(guest);
        device = Map.copyOf(device);
        sessions = List.copyOf(sessions);
        verdicts = List.copyOf(verdicts);
        terms = terms == null ? CertificationTerms.NONE : terms;
    }

    /** A certification without a generated-behaviour phase. */
    public Certification(String toolVersion, String specVersion, Map<String, String> guest, Map<String, String> device,
                         String startedAt, double seconds, List<SessionSummary> sessions, List<RequirementVerdict> verdicts,
                         FailOn failOn, CertificationTerms terms) {
        this(toolVersion, specVersion, guest, device, startedAt, seconds, sessions, verdicts, failOn, terms, null);
    }

    /** A certification made without a profile or waivers. */
    public Certification(String toolVersion, String specVersion, Map<String, String> guest, Map<String, String> device,
                         String startedAt, double seconds, List<SessionSummary> sessions, List<RequirementVerdict> verdicts,
                         FailOn failOn) {
        this(toolVersion, specVersion, guest, device, startedAt, seconds, sessions, verdicts, failOn, CertificationTerms.NONE);
    }

    /** This certification with its verdicts and terms replaced (how waivers are applied to a finished run). */
    public Certification withVerdicts(List<RequirementVerdict> v, CertificationTerms t) {
        return new Certification(toolVersion, specVersion, guest, device, startedAt, seconds, sessions, v, failOn, t, exploration);
    }

    /**
     * How many verdicts have each outcome (a failed SHOULD counts as FAIL here, see {@link #warnings()}; a waived
     * failure counts only as WAIVED).
     */
    public Map<Outcome, Integer> counts() {
        Map<Outcome, Integer> m = new EnumMap<>(Outcome.class);
        for (Outcome o : Outcome.values()) m.put(o, 0);
        for (RequirementVerdict v : verdicts) m.merge(v.outcome(), 1, Integer::sum);
        return m;
    }

    /** MUST-level failures (an expired waiver leaves them here; a waived one is not). */
    public long violations() {
        return verdicts.stream().filter(RequirementVerdict::isViolation).count();
    }

    public long warnings() {
        return verdicts.stream().filter(RequirementVerdict::isWarning).count();
    }

    /** Failures that a waiver still holding accepts: they fail nothing. */
    public long waived() {
        return verdicts.stream().filter(RequirementVerdict::isWaived).count();
    }

    /** Failures whose waiver had expired: counted as violations or warnings too. */
    public long expiredWaivers() {
        return verdicts.stream().filter(RequirementVerdict::hasExpiredWaiver).count();
    }

    /**
     * Whether the run failed: a MUST-level violation, or any failure when failing on SHOULD too. Waived failures do
     * not count; failures whose waiver expired do.
     */
    public boolean failed() {
        return violations() > 0 || (failOn == FailOn.SHOULD && warnings() > 0) || (exploration != null && exploration.failed());
    }
}

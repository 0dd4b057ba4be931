package dev.pvkit.conformance.verdict;

/** What became of one waiver in a run: it waived a failure, it had expired, or its requirement did not fail. */
public record WaiverUse(Waiver waiver, Status status) {

    public enum Status {
        /** Its requirement failed and the waiver held: the verdict is {@link Outcome#WAIVED}. */
        APPLIED("waived"),
        /** Its requirement failed but the waiver had expired: the failure stands. */
        EXPIRED("expired"),
        /** Its requirement did not fail in this run (or is not in the run's scope): nothing to waive. */
        UNUSED("unused");

        private final String label;

        Status(String label) {
            this.label = label;
        }

        /** How reports name it (report.json too): {@code waived}, {@code expired}, {@code unused}. */
        public String label() {
            return label;
        }
    }
}

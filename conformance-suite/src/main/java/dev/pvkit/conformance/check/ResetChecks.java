package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.TransportEvent;

import java.util.List;
import java.util.Set;

/**
 * Waiting for a device reset to finish (areas PCI and RESET): after its write of 0 to device_status the driver reads
 * device_status until it returns 0. DRV-PCI-019 (MUST) is judged at the driver's next status write, the start of its
 * new initialization; DRV-RESET-001 (SHOULD) at any other write that comes before that status write (e.g. tearing
 * down MSI-X vectors). One missing wait is one finding: the one of the first write that did not wait.
 */
public final class ResetChecks implements Check {
    /** MUST, after writing 0, wait until device_status reads 0 before initializing again. */
    public static final String WAIT_BEFORE_INIT = "DRV-PCI-019";
    /** SHOULD treat a reset as finished only once device_status reads back 0. */
    public static final String RESET_FINISHED = "DRV-RESET-001";

    @Override
    public Set<String> decides() {
        return Set.of(WAIT_BEFORE_INIT, RESET_FINISHED);
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        TransportEvent reset = null;
        boolean zeroRead = false;
        boolean otherJudged = false;
        for (TransportEvent t : PciRegisters.accesses(session)) {
            if (PciRegisters.isReset(t)) {
                reset = t;
                zeroRead = false;
                otherJudged = false;
                continue;
            }
            if (reset == null) continue;
            if (PciRegisters.isStatusRead(t) && t.value() == 0) zeroRead = true;
            if (!t.write()) continue;
            if (PciRegisters.isStatusWrite(t)) {
                if (zeroRead) findings.kept(WAIT_BEFORE_INIT, t);
                else findings.broke(WAIT_BEFORE_INIT, -1, List.of(t, reset), String.format(
                        "wrote device_status %s after the reset without any read of device_status returning 0 in"
                                + " between; the rule asks the driver to wait until device_status reads 0",
                        PciRegisters.status(t.value())));
                reset = null;
            } else if (!otherJudged) {
                otherJudged = true;
                if (zeroRead) findings.kept(RESET_FINISHED, t);
                else findings.broke(RESET_FINISHED, -1, List.of(t, reset), String.format(
                        "went on with %s after the reset before any read of device_status returned 0; the rule asks"
                                + " the driver to treat the reset as finished only once device_status reads 0",
                        t.describe()));
            }
        }
    }
}

package dev.pvkit.conformance.observe;

/** A milestone of the guest itself, from its console: which software drives the device from here on. */
public record GuestEvent(long micros, Milestone milestone, String line) implements Event {

    public enum Milestone {
        /** The OS kernel started (its banner): sessions from here on are the OS driver's. */
        KERNEL_STARTED,
        /** The guest restarts: firmware drives the device again until the next kernel banner. */
        RESTARTING,
        /** The workload did something the report should show (a rebind, a reboot request). */
        WORKLOAD_STEP
    }

    @Override
    public Source source() {
        return Source.GUEST;
    }

    @Override
    public String describe() {
        return "guest: " + milestone.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " (" + line + ")";
    }
}

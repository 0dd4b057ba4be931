package dev.pvkit.backends.net;

/**
 * Something wrong with a transmitted packet or a control command: the requirement it breaks ({@code null} when it breaks none but the
 * device still cannot forward it, e.g. a runt frame), whether the device drops the packet for it, and a line
 * saying what was seen.
 */
public record NetFinding(String requirement, boolean dropped, String message) {

    /** The log line: requirement first, so a reader can search for it. */
    public String line() {
        return (requirement != null ? requirement + ": " : "") + message + (dropped ? " (packet dropped)" : " (packet forwarded)");
    }

    /** The log line of a control command's finding: refused (answered ERR) or applied. */
    public String commandLine() {
        return (requirement != null ? requirement + ": " : "") + message + (dropped ? " (refused)" : " (applied)");
    }
}

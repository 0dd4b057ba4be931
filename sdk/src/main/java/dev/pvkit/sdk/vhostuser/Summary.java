package dev.pvkit.sdk.vhostuser;

/**
 * The values of an accepted message as {@code BackendObserver.requestHandled} publishes them: space-separated
 * {@code key=value} pairs, so a monitor can match them without knowing the wire format. Addresses, file offsets,
 * byte sizes of shared areas and bit sets are hex ({@code 0x…}); queue numbers, counts and configuration ranges
 * are decimal.
 */
final class Summary {
    private Summary() {
    }

    static final String NONE = "";

    static String hex(String key, long value) {
        return key + "=0x" + Long.toHexString(value);
    }

    static String queue(int index, String rest) {
        return rest.isEmpty() ? "queue=" + index : "queue=" + index + " " + rest;
    }

    static String state(String key, Bodies.VringState s) {
        return queue(s.index(), key + "=" + Integer.toUnsignedString(s.num()));
    }

    static String address(Bodies.VringAddress a) {
        return queue(a.index(), String.join(" ", hex("desc", a.descriptors()), hex("used", a.used()), hex("avail", a.avail()),
                hex("flags", a.flags()), hex("log", a.log())));
    }

    /** KICK/CALL/ERR: the ring and whether a descriptor came ({@code fd=none}: the no-fd flag). */
    static String eventFd(Bodies.VringFd f) {
        return queue(f.index(), f.noFd() ? "fd=none" : "fd=set");
    }

    static String region(Bodies.Region r) {
        return String.join(" ", hex("gpa", r.guestPhysical()), hex("size", r.size()), hex("user", r.userAddress()),
                hex("offset", r.mmapOffset()));
    }

    static String config(Bodies.Config c) {
        return "offset=" + Integer.toUnsignedString(c.offset()) + " size=" + c.size();
    }

    static String inflight(Bodies.Inflight i) {
        return String.join(" ", "queues=" + i.numQueues(), "queue_size=" + i.queueSize(), hex("size", i.mmapSize()),
                hex("offset", i.mmapOffset()));
    }
}

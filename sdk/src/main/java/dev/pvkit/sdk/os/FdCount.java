package dev.pvkit.sdk.os;

import java.io.File;

/** Counts this process's open file descriptors, for tests that check nothing leaks. */
public final class FdCount {
    private FdCount() {
    }

    /** Open descriptors, not counting the one used to list /proc/self/fd. */
    public static int open() {
        String[] entries = new File("/proc/self/fd").list();
        if (entries == null) throw new IllegalStateException("cannot list /proc/self/fd");
        return entries.length - 1;
    }
}

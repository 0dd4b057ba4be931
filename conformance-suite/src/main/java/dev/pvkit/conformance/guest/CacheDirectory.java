package dev.pvkit.conformance.guest;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where PVKit keeps downloaded packages and built guest images: system property {@code pvkit.cache}, else
 * {@code $XDG_CACHE_HOME/pvkit}, else {@code ~/.cache/pvkit}. A user directory, not the temp directory, so a
 * 60 MB kernel download survives reboots and temp cleaners.
 */
public final class CacheDirectory {
    public static final String PROPERTY = "pvkit.cache";

    private CacheDirectory() {
    }

    public static Path resolve() {
        return resolve(System.getProperty(PROPERTY), System.getenv(), System.getProperty("user.home"));
    }

    static Path resolve(String override, Map<String, String> env, String home) {
        if (override != null && !override.isBlank()) return Path.of(override);
        String xdg = env.get("XDG_CACHE_HOME");
        // The XDG spec says a relative value is invalid and must be ignored.
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) return Path.of(xdg, "pvkit");
        return Path.of(home, ".cache", "pvkit");
    }
}

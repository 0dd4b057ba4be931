package dev.pvkit.sdk.xen.emulated;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The XenStore tree every emulated domain shares: nodes by absolute path, watches, and a generation count that
 * transactions compare at commit (any change since a transaction began makes its commit fail with EAGAIN, as
 * xenstored's conservative conflict rule may).
 */
final class StoreTree {
    /** Xen's limits (spec §9.8): a message body is at most 4096 bytes, an absolute path at most 3072. */
    static final int MAX_PATH = 3072;
    static final int MAX_VALUE = 4096;

    private final TreeMap<String, String> nodes = new TreeMap<>();
    private final List<WatchEntry> watches = new CopyOnWriteArrayList<>();
    private long generation;

    record WatchEntry(String path, Consumer<String> callback, Dispatcher dispatcher) {
        boolean covers(String changed) {
            return changed.equals(path) || changed.startsWith(path + "/") || path.startsWith(changed + "/");
        }
    }

    static String check(String path) {
        if (path == null || !path.startsWith("/") || path.length() > MAX_PATH || path.contains("//")
                || (path.length() > 1 && path.endsWith("/")) || path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("EINVAL: not a XenStore path: " + path);
        }
        return path;
    }

    synchronized Optional<String> read(String path) {
        return Optional.ofNullable(nodes.get(check(path)));
    }

    synchronized long generation() {
        return generation;
    }

    void write(String path, String value) {
        check(path);
        if (value.length() > MAX_VALUE) throw new IllegalArgumentException("E2BIG: value of " + value.length() + " bytes");
        synchronized (this) {
            for (String p = parent(path); p != null; p = parent(p)) nodes.putIfAbsent(p, "");
            nodes.put(path, value);
            generation++;
        }
        fire(path);
    }

    void remove(String path) {
        check(path);
        boolean changed;
        synchronized (this) {
            Map<String, String> under = nodes.subMap(path + "/", path + "/\uffff");
            changed = nodes.remove(path) != null | !under.isEmpty();
            under.clear();
            if (changed) generation++;
        }
        if (changed) fire(path);
    }

    synchronized List<String> directory(String path) {
        check(path);
        String prefix = path.equals("/") ? "/" : path + "/";
        List<String> children = new ArrayList<>();
        for (String p : nodes.subMap(prefix, prefix + "\uffff").keySet()) {
            String rest = p.substring(prefix.length());
            if (!rest.isEmpty() && rest.indexOf('/') < 0) children.add(rest);
        }
        return children;
    }

    /** Applies a committed transaction's changes at once, if nothing changed since {@code since}. */
    boolean commit(long since, Map<String, Optional<String>> changes) {
        synchronized (this) {
            if (generation != since) return false;
            for (var c : changes.entrySet()) {
                if (c.getValue().isPresent()) {
                    for (String p = parent(c.getKey()); p != null; p = parent(p)) nodes.putIfAbsent(p, "");
                    nodes.put(c.getKey(), c.getValue().get());
                } else {
                    nodes.remove(c.getKey());
                    nodes.subMap(c.getKey() + "/", c.getKey() + "/\uffff").clear();
                }
            }
            if (!changes.isEmpty()) generation++;
        }
        changes.keySet().forEach(this::fire);
        return true;
    }

    WatchEntry watch(String path, Consumer<String> callback, Dispatcher dispatcher) {
        WatchEntry w = new WatchEntry(check(path), callback, dispatcher);
        watches.add(w);
        dispatcher.run(() -> callback.accept(path));
        return w;
    }

    void unwatch(WatchEntry w) {
        watches.remove(w);
    }

    private void fire(String path) {
        for (WatchEntry w : watches) {
            if (w.covers(path)) w.dispatcher().run(() -> {
                if (watches.contains(w)) w.callback().accept(path);
            });
        }
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? null : path.substring(0, slash);
    }
}

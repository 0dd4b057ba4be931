package dev.pvkit.sdk.xen.emulated;

import dev.pvkit.sdk.xen.XenStore;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/** One domain's XenStore connection: the shared tree, with the domain's own thread for its watch callbacks. */
final class EmulatedStore implements XenStore {
    private final StoreTree tree;
    private final Dispatcher watchThread;

    EmulatedStore(StoreTree tree, Dispatcher watchThread) {
        this.tree = tree;
        this.watchThread = watchThread;
    }

    @Override
    public Optional<String> read(String path) {
        return tree.read(path);
    }

    @Override
    public void write(String path, String value) {
        tree.write(path, value);
    }

    @Override
    public void remove(String path) {
        tree.remove(path);
    }

    @Override
    public List<String> directory(String path) {
        return tree.directory(path);
    }

    /** The emulated store keeps no permissions: every domain may read and write every node. */
    @Override
    public void setPermissions(String path, int owner, int... readers) {
        StoreTree.check(path);
    }

    @Override
    public Watch watch(String path, Consumer<String> changedPath) {
        StoreTree.WatchEntry w = tree.watch(path, changedPath, watchThread);
        return () -> tree.unwatch(w);
    }

    @Override
    public Transaction begin() {
        long since = tree.generation();
        Map<String, Optional<String>> changes = new LinkedHashMap<>();
        return new Transaction() {
            private boolean ended;

            @Override
            public Optional<String> read(String path) {
                StoreTree.check(path);
                Optional<String> mine = changes.get(path);
                return mine != null ? mine : tree.read(path);
            }

            @Override
            public void write(String path, String value) {
                StoreTree.check(path);
                changes.put(path, Optional.of(value));
            }

            @Override
            public void remove(String path) {
                StoreTree.check(path);
                changes.put(path, Optional.empty());
            }

            @Override
            public boolean commit() {
                if (ended) throw new IllegalStateException("transaction already ended");
                ended = true;
                return tree.commit(since, changes);
            }

            @Override
            public void abort() {
                ended = true;
            }
        };
    }
}

package dev.pvkit.sdk.xen;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A domain's connection to XenStore. Paths are absolute ({@code /local/domain/…}); values are strings (numbers in
 * decimal, spec §9.4). Watch callbacks come on the platform's own thread, one at a time, and carry the path that
 * changed, never its value: the watcher reads the node again.
 */
public interface XenStore {

    Optional<String> read(String path);

    /** Writes the node, creating missing parents. */
    void write(String path, String value);

    /** Removes the node and everything under it; removing an absent node is not an error. */
    void remove(String path);

    /** The names of the node's children, empty when it has none or is absent. */
    List<String> directory(String path);

    /**
     * Watches {@code path} and everything under it. The callback runs once soon after registration (as Xen's
     * does), then once per change; events coalesce into re-reads, so a watcher must not count them.
     */
    Watch watch(String path, Consumer<String> changedPath);

    /**
     * Sets who may see {@code path}: {@code owner} owns it (and may do anything), {@code readers} may read it, no
     * one else may. The toolstack gives each end its own directory and the peer read access (spec §9.13).
     */
    void setPermissions(String path, int owner, int... readers);

    /** Starts a transaction: its reads see one snapshot and its writes land together, or not at all. */
    Transaction begin();

    interface Watch extends AutoCloseable {
        @Override
        void close();
    }

    interface Transaction {
        Optional<String> read(String path);

        void write(String path, String value);

        void remove(String path);

        /** Commits; false when another writer changed the store meanwhile (EAGAIN): the caller redoes the whole transaction. */
        boolean commit();

        void abort();
    }

    /** Runs {@code body} in a transaction, redoing it from the start while the commit reports a conflict. */
    default void inTransaction(Consumer<Transaction> body) {
        for (int attempt = 0; ; attempt++) {
            Transaction t = begin();
            try {
                body.accept(t);
            } catch (RuntimeException e) {
                t.abort();
                throw e;
            }
            if (t.commit()) return;
            if (attempt >= 1000) throw new XenException("XenStore transaction kept conflicting after 1000 attempts");
            Thread.onSpinWait();
        }
    }
}

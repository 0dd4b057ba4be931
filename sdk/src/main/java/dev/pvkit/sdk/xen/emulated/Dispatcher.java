package dev.pvkit.sdk.xen.emulated;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** One thread that runs a domain's callbacks in order, as a guest's upcall handler would. */
final class Dispatcher implements AutoCloseable {
    private final ExecutorService thread;

    Dispatcher(String name) {
        thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    void run(Runnable task) {
        if (!thread.isShutdown()) {
            try {
                thread.execute(task);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                // the domain is going away; its callbacks no longer matter
            }
        }
    }

    /** Waits until everything queued before this call has run (tests use it to reach a quiet point). */
    void drain() throws InterruptedException {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        run(done::countDown);
        done.await(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}

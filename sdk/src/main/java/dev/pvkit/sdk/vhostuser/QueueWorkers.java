package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.os.Epoll;
import dev.pvkit.sdk.os.EventFd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntConsumer;

/**
 * The threads that process rings. Queue {@code i} belongs to worker {@code i % count}, always: one ring is never
 * processed by two threads, and a device's per-queue state needs no locking. Each worker sleeps in epoll on the
 * kick eventfds of its started rings (and polls rings whose kick was set without an fd, every millisecond).
 */
final class QueueWorkers implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QueueWorkers.class);
    private static final long WAKE = -1;

    private final List<Worker> workers = new ArrayList<>();

    QueueWorkers(int count, String name, IntConsumer process) {
        for (int i = 0; i < count; i++) workers.add(new Worker(name + "-worker-" + i, process));
        workers.forEach(w -> w.thread.start());
    }

    int workerOf(int queue) {
        return queue % workers.size();
    }

    /** Starts watching {@code kick} for {@code queue}; null kick = polled. */
    void watch(int queue, EventFd kick) {
        Worker w = workers.get(workerOf(queue));
        if (kick == null) w.polled.addIfAbsent(queue);
        else w.epoll.add(kick.fd(), queue);
        w.wake.signal();
    }

    void unwatch(int queue, EventFd kick) {
        Worker w = workers.get(workerOf(queue));
        w.polled.remove((Integer) queue);
        if (kick != null) {
            try {
                w.epoll.remove(kick.fd());
            } catch (RuntimeException e) {
                LOG.debug("queue {}: kick fd was not watched: {}", queue, e.getMessage());
            }
        }
    }

    /** Asks {@code queue}'s worker to process it soon (after enabling, or when buffers may be waiting). */
    void poke(int queue) {
        Worker w = workers.get(workerOf(queue));
        w.pending.addIfAbsent(queue);
        w.wake.signal();
    }

    @Override
    public void close() {
        workers.forEach(Worker::stop);
    }

    private static final class Worker implements Runnable {
        final Thread thread;
        final Epoll epoll = Epoll.create();
        final EventFd wake = EventFd.create();
        final CopyOnWriteArrayList<Integer> polled = new CopyOnWriteArrayList<>();
        final CopyOnWriteArrayList<Integer> pending = new CopyOnWriteArrayList<>();
        final IntConsumer process;
        volatile boolean running = true;

        Worker(String name, IntConsumer process) {
            this.process = process;
            this.thread = new Thread(this, name);
            this.thread.setDaemon(true);
            epoll.add(wake.fd(), WAKE);
        }

        @Override
        public void run() {
            long[] ready = new long[64];
            while (running) {
                int n = epoll.wait(ready, polled.isEmpty() ? -1 : 1);
                for (int i = 0; i < n && running; i++) {
                    if (ready[i] == WAKE) {
                        wake.drain();
                    } else {
                        process.accept((int) ready[i]);
                    }
                }
                for (Integer q : pending) {
                    pending.remove(q);
                    process.accept(q);
                }
                for (Integer q : polled) process.accept(q);
            }
        }

        void stop() {
            running = false;
            wake.signal();
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            epoll.close();
            wake.close();
        }
    }
}

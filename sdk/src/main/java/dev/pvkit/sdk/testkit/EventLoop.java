package dev.pvkit.sdk.testkit;

import dev.pvkit.sdk.device.DeviceContext.Registration;
import dev.pvkit.sdk.os.Epoll;
import dev.pvkit.sdk.os.EventFd;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * One thread that does all device-side work of a harness, as a queue worker of the real server does: tasks handed
 * to it, timers, and callbacks for file descriptors that became readable. After each round of work it runs
 * {@code afterRound} (where the harness applies and publishes completions). What a piece of work throws goes to
 * {@code failed}; the loop lives on.
 */
final class EventLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceHarness.class);
    private static final long WAKE = 0;

    private record Timer(long due, long order, Runnable task, AtomicBoolean closed) implements Comparable<Timer> {
        @Override
        public int compareTo(Timer o) {
            int c = Long.compare(due - o.due, 0);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }

    private final Thread thread;
    private final Epoll epoll = Epoll.create();
    private final EventFd wake = EventFd.create();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Map<Long, Runnable> watched = new ConcurrentHashMap<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>(); // the loop's thread only
    private final AtomicLong tokens = new AtomicLong(1);
    private final Runnable afterRound;
    private final Consumer<Throwable> failed;
    private volatile boolean running = true;

    EventLoop(String name, Runnable afterRound, Consumer<Throwable> failed) {
        this.afterRound = afterRound;
        this.failed = failed;
        epoll.add(wake.fd(), WAKE);
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** Runs {@code task} on the loop soon, after what was handed to it before. */
    void execute(Runnable task) {
        if (!running) throw new IllegalStateException("the harness is closed");
        tasks.add(task);
        wake.signal();
    }

    /** Wakes the loop for a round with nothing else to do (it will run {@code afterRound}); nothing once it stopped. */
    void wakeUp() {
        if (!running) return;
        try {
            wake.signal();
        } catch (IllegalStateException e) {
            // stopped meanwhile: nothing left to wake
        }
    }

    /** Calls {@code onReadable} on the loop whenever {@code fd} is readable (level-triggered). */
    Registration watch(int fd, Runnable onReadable) {
        if (!running) throw new IllegalStateException("the harness is closed");
        long token = tokens.getAndIncrement();
        watched.put(token, onReadable);
        epoll.add(fd, token);
        return () -> {
            if (watched.remove(token) == null) return;
            try {
                epoll.remove(fd);
            } catch (RuntimeException e) {
                // the fd was closed already: epoll forgot it by itself
            }
        };
    }

    /** Runs {@code task} once on the loop after {@code delay}, unless the registration is closed first. */
    Registration schedule(Duration delay, Runnable task) {
        AtomicBoolean closed = new AtomicBoolean();
        long due = System.nanoTime() + Math.max(0, delay.toNanos());
        long order = tokens.getAndIncrement();
        execute(() -> timers.add(new Timer(due, order, task, closed)));
        return () -> closed.set(true);
    }

    /** Waits until the loop has done everything handed to it before this call; false after {@code timeout}. */
    boolean awaitIdle(Duration timeout) {
        if (inLoop()) throw new IllegalStateException("the harness's event loop cannot wait for itself");
        CountDownLatch done = new CountDownLatch(1);
        execute(done::countDown);
        try {
            return done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void run() {
        long[] ready = new long[16];
        while (running) {
            try {
                int n = epoll.wait(ready, waitMillis());
                for (int i = 0; i < n && running; i++) {
                    if (ready[i] == WAKE) {
                        wake.drain();
                    } else {
                        Runnable callback = watched.get(ready[i]);
                        if (callback != null) work(callback);
                    }
                }
                long now = System.nanoTime();
                while (running && !timers.isEmpty() && timers.peek().due() - now <= 0) {
                    Timer t = timers.poll();
                    if (!t.closed().get()) work(t.task());
                }
                Runnable task;
                while (running && (task = tasks.poll()) != null) work(task);
                if (running) work(afterRound);
            } catch (RuntimeException e) {
                failed.accept(e); // epoll itself: should not happen; a pause keeps a repeating failure from spinning
                LockSupport.parkNanos(10_000_000);
            }
        }
    }

    /** 0 with tasks waiting, -1 (forever) with nothing scheduled, else until the first timer is due (rounded up). */
    private int waitMillis() {
        if (!tasks.isEmpty()) return 0;
        Timer first = timers.peek();
        if (first == null) return -1;
        long nanos = first.due() - System.nanoTime();
        if (nanos <= 0) return 0;
        return (int) Math.min(Integer.MAX_VALUE, (nanos + 999_999) / 1_000_000);
    }

    private void work(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException | Error e) {
            failed.accept(e);
        }
    }

    /** Stops the loop and waits for it to finish what it is doing. Not from the loop itself. */
    @Override
    public void close() {
        running = false;
        wake.signal();
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                interrupted = true;
            }
            if (thread.isAlive()) {
                LOG.warn("{} has not stopped after 5 s (a device callback that does not return?); still waiting",
                        thread.getName());
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        epoll.close();
        wake.close();
    }

}

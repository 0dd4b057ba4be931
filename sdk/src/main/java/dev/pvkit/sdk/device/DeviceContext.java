package dev.pvkit.sdk.device;

import java.time.Duration;

/**
 * What the SDK offers a device while it is served (one connection: {@link VirtioDevice#attach} gives a new one to each).
 * Besides announcing configuration changes, it lets a device that completes requests later hook its own events into
 * the SDK's event loop: a callback runs on the worker thread of the queue it names, holding that ring, so the
 * device's per-queue state needs no locking and what the callback completes is published at once.
 */
public interface DeviceContext {

    /**
     * Tells the driver the configuration space changed (vhost-user: BACKEND_CONFIG_CHANGE_MSG). Returns false when
     * the front-end gave no way to say so (no BACKEND_REQ channel or CONFIG not negotiated).
     */
    boolean announceConfigChange();

    /**
     * Sends the driver a used-buffer notification on {@code queue} with nothing new in its used ring (a spurious one,
     * which the driver must cope with), but only when the driver asks for notifications unconditionally
     * ({@link dev.pvkit.sdk.virtqueue.DeviceQueue#notificationsWanted}): never against its suppression. Returns
     * whether it was sent. For devices that test drivers; a normal device never needs it.
     */
    boolean notifySpuriously(int queue);

    /**
     * Calls {@code onReadable} on {@code queue}'s worker whenever {@code fd} is readable (level-triggered: the
     * callback must consume what made it readable, e.g. read the eventfd, or it is called again at once). The fd stays
     * the device's: close the registration before closing the fd. Registrations end with the connection.
     */
    Registration watch(int queue, int fd, Runnable onReadable);

    /** Runs {@code task} once on {@code queue}'s worker after {@code delay}, unless the registration is closed first. */
    Registration schedule(int queue, Duration delay, Runnable task);

    /** A watch or a timer; closing it stops further callbacks (one already running finishes). */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}

package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.device.DeviceContext;
import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.os.UnixSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.pvkit.sdk.vhostuser.ProtocolViolation.violation;

/**
 * The device as the front-end drives it: its status (SET/GET_STATUS, with NEEDS_RESET once a ring broke), its
 * configuration space (GET/SET_CONFIG), its reset (RESET_OWNER, RESET_DEVICE) and the back-end channel
 * (SET_BACKEND_REQ_FD) on which configuration changes are announced. It is also the {@link DeviceContext} the device
 * is given for the connection: the way back from the device to the front-end.
 */
final class DeviceControl implements DeviceContext, AutoCloseable {
    /** Logged as the session: everything a connection reports goes under one logger name. */
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);
    /** Virtio status bit the device sets when a ring broke (spec group virtio.status). */
    static final int DEVICE_NEEDS_RESET = 64;
    /** Back-end request id (spec group vhostuser.backend_request). */
    static final int BACKEND_CONFIG_CHANGE_MSG = 2;

    private final VirtioDevice device;
    private final BackendObserver observer;
    private final Rings rings;
    private final Negotiation negotiation;
    // Set by the control thread and by workers (a ring that breaks sets DEVICE_NEEDS_RESET).
    private final AtomicInteger status = new AtomicInteger();
    private volatile MessageChannel backendChannel;

    DeviceControl(VirtioDevice device, BackendObserver observer, Rings rings, Negotiation negotiation) {
        this.device = device;
        this.observer = observer;
        this.rings = rings;
        this.negotiation = negotiation;
    }

    /**
     * Records the driver's status. A 0 here is not a ring reset: QEMU sends SET_STATUS 0 when it stops the device,
     * before GET_VRING_BASE asks where each ring stands, so the rings must keep their positions until then.
     */
    Outcome setStatus(long v) {
        int value = (int) v;
        observer.statusWritten(value);
        status.set(value);
        device.statusChanged(value);
        return Outcome.handled(Summary.hex("status", v));
    }

    Outcome getStatus() {
        int now = status.get();
        if (rings.anyBroken()) now |= DEVICE_NEEDS_RESET;
        return Outcome.replied(now, Summary.hex("status", now));
    }

    /** RESET_OWNER, RESET_DEVICE: the rings, the status and the device back to their initial state. */
    Outcome reset(FrontendRequest cause) {
        rings.reset();
        status.set(0);
        device.reset();
        observer.deviceReset(cause.name());
        return Outcome.handled(Summary.NONE);
    }

    /** A range outside the configuration space is refused with an empty reply, not a failure status. */
    Outcome getConfig(Bodies.Config c) {
        byte[] space = device.config();
        observer.configRead(c.offset(), c.size());
        if (c.offset() < 0 || c.size() > space.length || c.offset() > space.length - c.size()) {
            return Outcome.refused(violation(FrontendRequest.GET_CONFIG, VhostUserRule.CONFIG_RANGE, String.format(
                            "%s+%d outside the %d-byte configuration space", Integer.toUnsignedString(c.offset()), c.size(), space.length)),
                    "empty reply", new Bodies.Config(c.offset(), 0, c.flags(), new byte[0]).encode());
        }
        byte[] data = Arrays.copyOfRange(space, c.offset(), c.offset() + c.size());
        return Outcome.replied(new Bodies.Config(c.offset(), c.size(), c.flags(), data).encode(), Summary.config(c));
    }

    Outcome setConfig(Bodies.Config c) {
        int length = device.config().length;
        boolean inRange = c.offset() >= 0 && c.offset() <= length - c.size();
        boolean accepted = inRange && device.writeConfig(c.offset(), c.data());
        observer.configWritten(c.offset(), c.data(), accepted);
        if (!accepted) {
            throw violation(FrontendRequest.SET_CONFIG, VhostUserRule.CONFIG_WRITE, "device refused " + c.size() + " bytes at " + c.offset());
        }
        return Outcome.handled(Summary.config(c));
    }

    Outcome setBackendChannel(Message m) {
        if (backendChannel != null) backendChannel.close();
        backendChannel = new MessageChannel(UnixSocket.adopt(m.takeFd(0)));
        return Outcome.handled(Summary.NONE);
    }

    /** A ring broke: the device needs a reset, announced to the front-end the first time. */
    void needsReset() {
        int before = status.getAndUpdate(v -> v | DEVICE_NEEDS_RESET);
        if ((before & DEVICE_NEEDS_RESET) == 0) sendConfigChange();
    }

    /**
     * The device's own announcement (its configuration changed), which observers see; a ring breaking announces
     * NEEDS_RESET the same way, but QEMU 7.2's vhost-user-blk passes a back-end's announcement to the driver only
     * when the configuration it re-reads differs, so that one is not reported as a configuration change.
     */
    @Override
    public boolean announceConfigChange() {
        boolean sent = sendConfigChange();
        if (sent) observer.configChangeAnnounced();
        return sent;
    }

    private boolean sendConfigChange() {
        MessageChannel ch = backendChannel;
        if (ch == null || !negotiation.has(ProtocolFeatures.CONFIG)) return false;
        try {
            ch.send(BACKEND_CONFIG_CHANGE_MSG, Message.VERSION, new byte[0]);
            return true;
        } catch (RuntimeException e) {
            LOG.warn("cannot announce a configuration change: {}", e.getMessage());
            return false;
        }
    }

    @Override
    public boolean notifySpuriously(int queue) {
        return queue >= 0 && queue < rings.count() && rings.ring(queue).notifySpuriously();
    }

    @Override
    public Registration watch(int queue, int fd, Runnable onReadable) {
        return rings.deviceEvents().watch(queue, fd, onReadable);
    }

    @Override
    public Registration schedule(int queue, Duration delay, Runnable task) {
        return rings.deviceEvents().schedule(queue, delay, task);
    }

    /** Closes the back-end channel. */
    @Override
    public void close() {
        if (backendChannel != null) backendChannel.close();
    }
}

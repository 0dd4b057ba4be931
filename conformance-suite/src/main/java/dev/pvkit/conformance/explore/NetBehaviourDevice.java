package dev.pvkit.conformance.explore;

import dev.pvkit.backends.net.VirtioNetDevice;
import dev.pvkit.sdk.device.DeviceContext;
import dev.pvkit.sdk.device.Request;
import dev.pvkit.sdk.device.VirtioDevice;

/**
 * PVKit's virtio-net device serving its transmit queues as a {@link NetBehaviour} says ({@link RequestHold}: held in
 * batches, given back in any order, with spurious notifications if asked); a held packet is forwarded only when its
 * chain is given back. Receive and control queues are served as the device serves them. The behaviour may change
 * between tries ({@link #behave}); the offer is the device's. The link events of a behaviour are the try runner's
 * to cause (QEMU owns the link state the guest sees).
 */
public final class NetBehaviourDevice implements VirtioDevice {
    private final VirtioNetDevice net;
    private final RequestHold<Request> hold;
    private volatile NetBehaviour behaviour = NetBehaviour.plain();

    public NetBehaviourDevice(VirtioNetDevice net) {
        this.net = net;
        this.hold = new RequestHold<>(net.queueCount(), () -> this.behaviour, this::giveBack);
    }

    /** The device underneath: its counters, its port on the switch, its listener. */
    public VirtioNetDevice net() {
        return net;
    }

    public NetBehaviour behaviour() {
        return behaviour;
    }

    /** Serves from now on as {@code next} says; what is held now goes out with the next release. */
    public void behave(NetBehaviour next) {
        behaviour = next;
    }

    private boolean transmits(int queue) {
        return queue % 2 == 1 && queue < net.controlQueue();
    }

    @Override
    public void submit(Request request) {
        if (transmits(request.queue())) hold.hold(request.queue(), request);
        else net.submit(request);
    }

    private void giveBack(Request r) {
        if (r.isCancelled()) return; // its ring stopped: its memory is not ours to read
        net.submit(r);
    }

    @Override
    public void attach(DeviceContext c) {
        hold.attach(c);
        net.attach(c);
    }

    @Override
    public void reset() {
        hold.reset(); // what was held is cancelled by the SDK with the ring; only the timers are ours to stop
        net.reset();
    }

    @Override
    public int deviceId() {
        return net.deviceId();
    }

    @Override
    public long features() {
        return net.features();
    }

    @Override
    public int queueCount() {
        return net.queueCount();
    }

    @Override
    public int maxQueueSize() {
        return net.maxQueueSize();
    }

    @Override
    public byte[] config() {
        return net.config();
    }

    @Override
    public boolean writeConfig(int offset, byte[] data) {
        return net.writeConfig(offset, data);
    }

    @Override
    public boolean holdsRequests(int queue) {
        return net.holdsRequests(queue);
    }

    @Override
    public boolean discardsWhileDisabled() {
        return net.discardsWhileDisabled();
    }

    @Override
    public void queueEnabled(int queue, boolean enabled) {
        net.queueEnabled(queue, enabled);
    }

    @Override
    public void featuresNegotiated(long features) {
        net.featuresNegotiated(features);
    }

    @Override
    public void statusChanged(int status) {
        net.statusChanged(status);
    }
}

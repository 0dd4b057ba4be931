package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.device.DeviceContext;
import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.os.NativeCallException;
import dev.pvkit.sdk.os.UnixSocket;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;

import static dev.pvkit.sdk.vhostuser.ProtocolViolation.violation;

/**
 * One vhost-user connection, served on its own control thread: reads each front-end message, validates it in three
 * layers (header in {@link MessageChannel}, shape in {@link Bodies#checkShape}, meaning where it is acted on) and
 * acts on it. A message that fails validation is not acted on; the answer is a failure status when REPLY_ACK
 * allows, otherwise the connection is closed [BE-VU-008, BE-VU-009]. Every path closes the descriptors a message
 * brought.
 *
 * <p>The session keeps features, status, configuration space and the back-end channel; it hands the rest to one
 * part per capability: {@link MemoryRegions} (the memory table), {@link RingSetup} (the ring set-up messages) over
 * {@link Rings} (the rings and the workers that serve them), {@link DirtyLogging} and {@link InflightTracking}.
 */
final class Session implements DeviceContext {
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);
    /** GET_MAX_MEM_SLOTS' answer. */
    static final int MAX_MEM_SLOTS = MemoryRegions.MAX_SLOTS;
    /** Virtio status bit the device sets when a ring broke (spec group virtio.status). */
    static final int DEVICE_NEEDS_RESET = 64;

    private final MessageChannel channel;
    private final VirtioDevice device;
    private final BackendObserver observer;
    private final InflightTracking inflight;
    private final Rings rings;
    private final RingSetup ringSetup;
    private final DirtyLogging dirtyLog;
    private final MemoryRegions regions;

    private long offeredFeatures;
    // Read by worker threads too (a ring that breaks sets DEVICE_NEEDS_RESET and announces it on the back-end channel).
    private volatile long protocolFeatures;
    private final AtomicInteger status = new AtomicInteger();
    private volatile MessageChannel backendChannel;

    Session(UnixSocket socket, VirtioDevice device, VhostUserBackend.Options options, String name) {
        this.channel = new MessageChannel(socket);
        this.device = device;
        this.observer = options.observer();
        int queues = device.queueCount();
        ShrinkSeals seals = new ShrinkSeals(options.unsealedFiles());
        this.inflight = new InflightTracking(queues, device, seals);
        this.rings = new Rings(queues, device, observer, options.policy(), inflight, options.workers(), name, this::needsReset,
                options.requestDrain().toNanos());
        this.ringSetup = new RingSetup(rings, device, observer);
        this.dirtyLog = new DirtyLogging(rings, seals);
        this.regions = new MemoryRegions(rings, dirtyLog, observer, seals);
        this.offeredFeatures = device.features() | VirtioFeatures.bit(ProtocolFeatures.F_PROTOCOL_FEATURES)
                | VirtioFeatures.bit(ProtocolFeatures.F_LOG_ALL);
    }

    /**
     * Serves messages until the front-end disconnects or a message forces the connection closed. The session's end
     * is logged and reported with its true cause; anything unexpected is also rethrown to the acceptor, which logs
     * its stack and serves the next connection.
     */
    void run() {
        observer.connected();
        device.attach(this);
        String why = "ended before its first message"; // replaced on every path below
        try {
            while (true) {
                Message m = channel.readRequest();
                if (m == null) {
                    why = "front-end closed the connection";
                    break;
                }
                try (m) {
                    if (!handle(m)) {
                        why = "closed after rejecting " + m.name();
                        break;
                    }
                }
            }
        } catch (ProtocolViolation v) {
            reject(v, "connection closed");
            why = "closed: " + v.getMessage();
        } catch (NativeCallException | dev.pvkit.sdk.os.SocketClosedException e) {
            // Typically a reply to a front-end that already hung up (EPIPE): the session is over either way.
            why = "connection lost: " + e.getMessage();
        } catch (RuntimeException | Error e) {
            if (e instanceof InternalError fault && MemoryFault.is(fault)) {
                // Only with unsealed files accepted at risk (UnsealedFiles): a message made this thread touch memory
                // that is gone (a ring's used index on start, say). What the message half did cannot be trusted: the
                // session ends, and shutdown resets the device.
                why = MemoryFault.describe(fault);
            } else {
                why = "failed: " + e;
                throw e;
            }
        } finally {
            shutdown();
            observer.disconnected(why);
            LOG.info("vhost-user session ended: {}", why);
        }
    }

    /** Handles one message; false when the connection must close. */
    private boolean handle(Message m) {
        FrontendRequest r = m.request();
        try {
            if (r == null) {
                throw new ProtocolViolation(m.name(), VhostUserRule.UNKNOWN_REQUEST, "PVKit does not implement request " + m.requestId(), false);
            }
            Bodies.checkShape(r, m);
            if (r.gate >= 0 && !ProtocolFeatures.has(protocolFeatures, r.gate)) {
                throw new ProtocolViolation(r.name(), VhostUserRule.NOT_NEGOTIATED, "protocol feature " + r.gate + " was not negotiated", false);
            }
            String summary = dispatch(r, m);
            // Published before the acknowledgement, so a front-end that has its answer finds the step recorded.
            if (summary != null) observer.requestHandled(r.name(), summary);
            if (m.needReply() && replyAck() && !r.hasReply) channel.replyU64(m, 0);
            return true;
        } catch (ProtocolViolation v) {
            if (r == FrontendRequest.SET_LOG_BASE && !v.framingLost()) {
                // Its reply body is itself a status: answer failure there, whatever REPLY_ACK says.
                reject(v, "failure status");
                channel.replyU64(m, 1);
                return true;
            }
            boolean canAnswer = !v.framingLost() && m.needReply() && replyAck() && (r == null || !r.hasReply);
            reject(v, canAnswer ? "failure status" : "connection closed");
            if (canAnswer) channel.replyU64(m, 1);
            return canAnswer;
        }
    }

    private void reject(ProtocolViolation v, String answer) {
        // One line per refused message, naming the request, the rule it broke and that rule's requirement [BE-VU-008].
        LOG.warn("rejected {} [{}]: {}; answered with {}", v.request(), v.rule().cited(), v.detail(), answer);
        observer.messageRejected(v.request(), v.ruleName(), v.requirement(), v.detail(), answer);
    }

    private boolean replyAck() {
        return ProtocolFeatures.has(protocolFeatures, ProtocolFeatures.REPLY_ACK);
    }

    /**
     * Acts on one message that passed the shape and gate checks and returns its {@link Summary} for
     * {@code requestHandled}, or null when the message was answered as refused (GET_CONFIG's empty reply).
     */
    private String dispatch(FrontendRequest r, Message m) {
        return switch (r) {
            case GET_FEATURES -> {
                observer.featuresOffered(offeredFeatures);
                channel.replyU64(m, offeredFeatures);
                yield Summary.hex("features", offeredFeatures);
            }
            case SET_FEATURES -> {
                setFeatures(m, Bodies.u64(m));
                yield Summary.hex("features", Bodies.u64(m));
            }
            case SET_OWNER -> Summary.NONE;
            case RESET_OWNER -> {
                resetDevice("RESET_OWNER");
                yield Summary.NONE;
            }
            case GET_PROTOCOL_FEATURES -> {
                observer.protocolFeaturesOffered(ProtocolFeatures.OFFERED);
                channel.replyU64(m, ProtocolFeatures.OFFERED);
                yield Summary.hex("features", ProtocolFeatures.OFFERED);
            }
            case SET_PROTOCOL_FEATURES -> {
                long v = Bodies.u64(m);
                if ((v & ~ProtocolFeatures.OFFERED) != 0) {
                    throw violation(r, VhostUserRule.PROTOCOL_FEATURES, String.format("bits 0x%x were not offered", v & ~ProtocolFeatures.OFFERED));
                }
                protocolFeatures = v;
                observer.protocolFeaturesAcknowledged(v);
                yield Summary.hex("features", v);
            }
            case GET_QUEUE_NUM -> {
                channel.replyU64(m, rings.count());
                yield "queues=" + rings.count();
            }
            case SET_MEM_TABLE -> {
                regions.setTable(m);
                yield "regions=" + regions.count();
            }
            case ADD_MEM_REG -> {
                regions.add(m);
                yield Summary.region(Bodies.SingleRegion.of(m).region());
            }
            case REM_MEM_REG -> {
                regions.remove(m);
                yield Summary.region(Bodies.SingleRegion.of(m).region());
            }
            case GET_MAX_MEM_SLOTS -> {
                channel.replyU64(m, MAX_MEM_SLOTS);
                yield "slots=" + MAX_MEM_SLOTS;
            }
            case SET_VRING_NUM -> {
                ringSetup.setNum(Bodies.VringState.of(m));
                yield Summary.state("num", Bodies.VringState.of(m));
            }
            case SET_VRING_ADDR -> {
                ringSetup.setAddress(Bodies.VringAddress.of(m));
                yield Summary.address(Bodies.VringAddress.of(m));
            }
            case SET_VRING_BASE -> {
                ringSetup.setBase(Bodies.VringState.of(m));
                yield Summary.state("base", Bodies.VringState.of(m));
            }
            case GET_VRING_BASE -> {
                Bodies.VringState s = Bodies.VringState.of(m);
                Bodies.VringState at = new Bodies.VringState(s.index(), (int) ringSetup.getBase(s));
                channel.reply(m, at.encode());
                yield Summary.state("base", at);
            }
            case SET_VRING_KICK -> {
                ringSetup.setKick(m);
                yield Summary.eventFd(Bodies.u64(m));
            }
            case SET_VRING_CALL -> {
                ringSetup.setCall(m);
                yield Summary.eventFd(Bodies.u64(m));
            }
            case SET_VRING_ERR -> {
                ringSetup.setErr(m);
                yield Summary.eventFd(Bodies.u64(m));
            }
            case SET_VRING_ENABLE -> {
                ringSetup.setEnable(Bodies.VringState.of(m));
                yield Summary.state("enable", Bodies.VringState.of(m));
            }
            case SET_BACKEND_REQ_FD -> {
                if (backendChannel != null) backendChannel.close();
                backendChannel = new MessageChannel(UnixSocket.adopt(m.takeFd(0)));
                yield Summary.NONE;
            }
            case GET_CONFIG -> getConfig(m) ? Summary.config(Bodies.Config.of(m)) : null;
            case SET_CONFIG -> {
                setConfig(m);
                yield Summary.config(Bodies.Config.of(m));
            }
            case RESET_DEVICE -> {
                resetDevice("RESET_DEVICE");
                yield Summary.NONE;
            }
            case SET_STATUS -> {
                setStatus((int) Bodies.u64(m));
                yield Summary.hex("status", Bodies.u64(m));
            }
            case GET_STATUS -> {
                int now = currentStatus();
                channel.replyU64(m, now);
                yield Summary.hex("status", now);
            }
            case SET_LOG_BASE -> {
                dirtyLog.setBase(m);
                channel.replyU64(m, 0);
                Bodies.Log l = Bodies.Log.of(m);
                yield Summary.hex("size", l.mmapSize()) + " " + Summary.hex("offset", l.mmapOffset());
            }
            case GET_INFLIGHT_FD -> Summary.inflight(inflight.handOut(m, channel, rings.anyStarted()));
            case SET_INFLIGHT_FD -> {
                inflight.adopt(m, rings.anyStarted());
                yield Summary.inflight(Bodies.Inflight.of(m));
            }
            case SET_LOG_FD -> {
                dirtyLog.setFd(EventFd.adopt(m.takeFd(0)));
                yield Summary.NONE;
            }
            default -> throw violation(r, VhostUserRule.NOT_IMPLEMENTED, "PVKit does not serve " + r.name() + " yet");
        };
    }

    // ---------------------------------------------------------------- features and status

    private void setFeatures(Message m, long v) {
        if ((v & ~offeredFeatures) != 0) {
            throw violation(m.request(), VhostUserRule.FEATURES, String.format("bits 0x%x were not offered", v & ~offeredFeatures));
        }
        rings.useFeatures(v);
        dirtyLog.logAll(VirtioFeatures.has(v, ProtocolFeatures.F_LOG_ALL));
        observer.featuresAcknowledged(v);
        device.featuresNegotiated(v & ~VirtioFeatures.bit(ProtocolFeatures.F_PROTOCOL_FEATURES));
        if (!VirtioFeatures.has(v, ProtocolFeatures.F_PROTOCOL_FEATURES)) rings.enableAll();
    }

    /**
     * Records the driver's status. A 0 here is not a ring reset: QEMU sends SET_STATUS 0 when it stops the device,
     * before GET_VRING_BASE asks where each ring stands, so the rings must keep their positions until then.
     */
    private void setStatus(int value) {
        observer.statusWritten(value);
        status.set(value);
        device.statusChanged(value);
    }

    /** A ring broke: the device needs a reset, announced to the front-end the first time. */
    private void needsReset() {
        int before = status.getAndUpdate(v -> v | DEVICE_NEEDS_RESET);
        if ((before & DEVICE_NEEDS_RESET) == 0) announceConfigChange();
    }

    private int currentStatus() {
        int now = status.get();
        return rings.anyBroken() ? now | DEVICE_NEEDS_RESET : now;
    }

    private void resetDevice(String cause) {
        rings.reset();
        status.set(0);
        device.reset();
        observer.deviceReset(cause);
    }

    // ---------------------------------------------------------------- configuration space

    /** Answers GET_CONFIG; false when the range was refused (answered with size 0). */
    private boolean getConfig(Message m) {
        Bodies.Config c = Bodies.Config.of(m);
        byte[] space = device.config();
        observer.configRead(c.offset(), c.size());
        if (c.offset() < 0 || c.size() > space.length || c.offset() > space.length - c.size()) {
            reject(violation(FrontendRequest.GET_CONFIG, VhostUserRule.CONFIG_RANGE, String.format("%s+%d outside the %d-byte configuration space",
                    Integer.toUnsignedString(c.offset()), c.size(), space.length)), "empty reply");
            channel.reply(m, new Bodies.Config(c.offset(), 0, c.flags(), new byte[0]).encode());
            return false;
        }
        byte[] data = java.util.Arrays.copyOfRange(space, c.offset(), c.offset() + c.size());
        channel.reply(m, new Bodies.Config(c.offset(), c.size(), c.flags(), data).encode());
        return true;
    }

    private void setConfig(Message m) {
        Bodies.Config c = Bodies.Config.of(m);
        int length = device.config().length;
        boolean inRange = c.offset() >= 0 && c.offset() <= length - c.size();
        boolean accepted = inRange && device.writeConfig(c.offset(), c.data());
        observer.configWritten(c.offset(), c.data(), accepted);
        if (!accepted) throw violation(FrontendRequest.SET_CONFIG, VhostUserRule.CONFIG_WRITE, "device refused " + c.size() + " bytes at " + c.offset());
    }

    @Override
    public Registration watch(int queue, int fd, Runnable onReadable) {
        return rings.deviceEvents().watch(queue, fd, onReadable);
    }

    @Override
    public Registration schedule(int queue, java.time.Duration delay, Runnable task) {
        return rings.deviceEvents().schedule(queue, delay, task);
    }

    @Override
    public boolean announceConfigChange() {
        MessageChannel ch = backendChannel;
        if (ch == null || !ProtocolFeatures.has(protocolFeatures, ProtocolFeatures.CONFIG)) return false;
        try {
            ch.send(BACKEND_CONFIG_CHANGE_MSG, Message.VERSION, new byte[0]);
            return true;
        } catch (RuntimeException e) {
            LOG.warn("cannot announce a configuration change: {}", e.getMessage());
            return false;
        }
    }

    /** Back-end request id (spec group vhostuser.backend_request). */
    static final int BACKEND_CONFIG_CHANGE_MSG = 2;

    /** Stops the workers, forgets the rings, unmaps memory, resets the device and closes the sockets. */
    private void shutdown() {
        rings.close();
        regions.close();
        if (backendChannel != null) backendChannel.close();
        dirtyLog.close();
        inflight.close();
        device.reset();
        channel.close();
    }
}

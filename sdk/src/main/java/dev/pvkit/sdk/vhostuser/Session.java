package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.os.NativeCallException;
import dev.pvkit.sdk.os.SocketClosedException;
import dev.pvkit.sdk.os.Syscalls;
import dev.pvkit.sdk.os.UnixSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.pvkit.sdk.vhostuser.ProtocolViolation.violation;

/**
 * One vhost-user connection, served on its own control thread: reads each front-end message, validates it in three
 * layers (header in {@link MessageChannel}, shape in {@link Bodies#checkShape}, meaning in its handler), runs the
 * handler its {@link RequestTable} row names, and answers. A message that fails validation is not acted on; the
 * answer is a failure status when REPLY_ACK allows, otherwise the connection is closed [BE-VU-008, BE-VU-009]. Every
 * path closes the descriptors a message brought. The session is the only writer of replies.
 *
 * <p>The handlers are grouped by capability: {@link Negotiation} (features), {@link DeviceControl} (status,
 * configuration, reset, the back-end channel), {@link RingSetup} (the rings, over {@link Rings} and its workers) and
 * {@link MemorySetup} (the memory table, dirty log and inflight area).
 */
final class Session {
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);

    private final MessageChannel channel;
    private final VirtioDevice device;
    private final BackendObserver observer;
    private final InflightTracking inflight;
    private final Rings rings;
    private final DirtyLogging dirtyLog;
    private final MemoryRegions regions;
    private final Negotiation negotiation;
    private final DeviceControl control;
    private final RequestTable.Handlers handlers;

    Session(UnixSocket socket, VirtioDevice device, VhostUserBackend.Options options, String name) {
        this.channel = new MessageChannel(socket);
        this.device = device;
        this.observer = options.observer();
        int queues = device.queueCount();
        ShrinkSeals seals = new ShrinkSeals(options.unsealedFiles());
        this.inflight = new InflightTracking(queues, device, seals);
        this.rings = new Rings(queues, device, observer, inflight, name, this::ringBroke, options);
        this.dirtyLog = new DirtyLogging(rings, seals);
        this.regions = new MemoryRegions(rings, dirtyLog, observer, seals);
        this.negotiation = new Negotiation(device, observer, rings, dirtyLog);
        this.control = new DeviceControl(device, observer, rings, negotiation);
        this.handlers = new RequestTable.Handlers(negotiation, control, new RingSetup(rings, device, observer),
                new MemorySetup(regions, dirtyLog, inflight, rings));
    }

    /**
     * Serves messages until the front-end disconnects or a message forces the connection closed. The session's end
     * is logged and reported with its true cause; anything unexpected is also rethrown to the acceptor, which logs
     * its stack and serves the next connection.
     */
    void run() {
        observer.connected();
        device.attach(control);
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
        } catch (NativeCallException | SocketClosedException e) {
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
            if (r.gate >= 0 && !negotiation.has(r.gate)) {
                throw new ProtocolViolation(r.name(), VhostUserRule.NOT_NEGOTIATED, "protocol feature " + r.gate + " was not negotiated", false);
            }
            answer(r, m, dispatch(r, m));
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

    /**
     * Runs the handler {@code r}'s row names on the body the row decodes, holding every ring's lock when the row says
     * so. The locks are taken once, here, and let go before the session answers: a slow front-end reading its reply
     * never holds up the workers.
     */
    private Outcome dispatch(FrontendRequest r, Message m) {
        RequestTable.Row<?> row = RequestTable.of(r);
        if (row == null) throw violation(r, VhostUserRule.NOT_IMPLEMENTED, "PVKit does not serve " + r.name() + " yet");
        if (!row.allRings()) return row.dispatch(handlers, m);
        rings.lockAll();
        try {
            return row.dispatch(handlers, m);
        } finally {
            rings.unlockAll();
        }
    }

    /**
     * Answers in one order for every request: its own reply, if it has one; then {@code requestHandled}, before the
     * acknowledgement, so a front-end that has its answer finds the step recorded; then REPLY_ACK's acknowledgement
     * for a request without a reply of its own. A request refused with a reply of its own gets that reply, logged as
     * a rejection, and is not published as handled.
     */
    private void answer(FrontendRequest r, Message m, Outcome o) {
        try {
            if ((o.reply() != null) != r.hasReply) {
                throw new IllegalStateException(r + (r.hasReply ? " has a reply of its own; its handler gave none" : " has no reply of its own; its handler gave one"));
            }
            if (o instanceof Outcome.Refused refused) {
                reject(refused.why(), refused.answer());
                send(m, refused.reply());
                return;
            }
            send(m, o.reply());
            observer.requestHandled(r.name(), ((Outcome.Handled) o).summary());
            if (m.needReply() && replyAck() && !r.hasReply) channel.replyU64(m, 0);
        } finally {
            // A descriptor handed to the front-end is a copy: ours is closed, sent or not.
            if (o.reply() instanceof Outcome.Body b && b.fd() >= 0) Syscalls.closeQuietly(b.fd());
        }
    }

    private void send(Message m, Outcome.Reply reply) {
        if (reply instanceof Outcome.U64 u) {
            channel.replyU64(m, u.value());
        } else if (reply instanceof Outcome.Body b) {
            if (b.fd() >= 0) channel.reply(m, b.bytes(), b.fd());
            else channel.reply(m, b.bytes());
        }
    }

    private void reject(ProtocolViolation v, String answer) {
        // One line per refused message, naming the request, the rule it broke and that rule's requirement [BE-VU-008].
        LOG.warn("rejected {} [{}]: {}; answered with {}", v.request(), v.rule().cited(), v.detail(), answer);
        observer.messageRejected(v.request(), v.ruleName(), v.requirement(), v.detail(), answer);
    }

    private boolean replyAck() {
        return negotiation.has(ProtocolFeatures.REPLY_ACK);
    }

    /** A ring broke (on its worker, under the ring's lock). */
    private void ringBroke() {
        control.needsReset();
    }

    /** Stops the workers, forgets the rings, unmaps memory, resets the device and closes the sockets. */
    private void shutdown() {
        rings.close();
        regions.close();
        control.close();
        dirtyLog.close();
        inflight.close();
        device.reset();
        channel.close();
    }
}

package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.os.Syscalls;
import dev.pvkit.sdk.os.UnixSocket;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Frames vhost-user messages on a unix socket: a 12-byte header (request, flags, size), the body, and the
 * descriptors that arrive with the header. Reading applies the first validation layer — the header: version 1,
 * no unknown flag, size within {@link Message#MAX_PAYLOAD}. A header that fails it loses the framing, so the
 * only answer is closing the connection.
 */
public final class MessageChannel implements AutoCloseable {

    private final UnixSocket socket;
    /** Flag bits a request may carry: the version and NEED_REPLY. */
    private static final int REQUEST_FLAGS = Message.VERSION_MASK | Message.NEED_REPLY;

    public MessageChannel(UnixSocket socket) {
        this.socket = socket;
    }

    public UnixSocket socket() {
        return socket;
    }

    /** The next request, or null when the peer closed the connection between messages. */
    public Message readRequest() {
        return read(false);
    }

    /** The next reply (front-end side), or null when the peer closed the connection. */
    public Message readReply() {
        return read(true);
    }

    private Message read(boolean reply) {
        byte[] header = new byte[Message.HEADER_SIZE];
        List<Integer> fds = new ArrayList<>();
        int got = 0;
        try {
            while (got < header.length) {
                UnixSocket.Received r = socket.receive(header, got, header.length - got, Message.MAX_FDS);
                for (int fd : r.fds()) fds.add(fd);
                if (r.bytes() == 0) {
                    if (got == 0) {
                        closeAll(fds);
                        return null;
                    }
                    throw new ProtocolViolation("(header)", VhostUserRule.SHORT_HEADER, "peer closed after " + got + " header bytes", true);
                }
                if (r.controlTruncated()) {
                    throw new ProtocolViolation("(header)", VhostUserRule.DESCRIPTOR_COUNT,
                            "more than " + Message.MAX_FDS + " descriptors attached", true);
                }
                got += r.bytes();
            }
            ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.nativeOrder());
            int request = h.getInt(0);
            int flags = h.getInt(4);
            int size = h.getInt(8);
            String name = FrontendRequest.of(request) != null ? FrontendRequest.of(request).name() : "request " + request;
            if ((flags & Message.VERSION_MASK) != Message.VERSION) {
                throw new ProtocolViolation(name, reply ? VhostUserRule.REPLY_VERSION : VhostUserRule.HEADER_VERSION, "version " + (flags & Message.VERSION_MASK) + ", expected 1", true);
            }
            int allowed = reply ? REQUEST_FLAGS | Message.REPLY : REQUEST_FLAGS;
            if ((flags & ~allowed) != 0) {
                throw new ProtocolViolation(name, reply ? VhostUserRule.REPLY_FLAG_BITS : VhostUserRule.HEADER_FLAGS, String.format("unknown flag bits 0x%x", flags & ~allowed), true);
            }
            if (reply != ((flags & Message.REPLY) != 0)) {
                throw new ProtocolViolation(name, reply ? VhostUserRule.REPLY_WITHOUT_REPLY_FLAG : VhostUserRule.HEADER_FLAGS, reply ? "reply without REPLY flag" : "request with REPLY flag", true);
            }
            if (size < 0 || size > Message.MAX_PAYLOAD) {
                throw new ProtocolViolation(name, VhostUserRule.PAYLOAD_SIZE, "size " + Integer.toUnsignedString(size)
                        + " exceeds " + Message.MAX_PAYLOAD, true);
            }
            byte[] payload = new byte[size];
            if (size > 0) socket.receiveFully(payload, 0, size);
            int[] fdArray = fds.stream().mapToInt(Integer::intValue).toArray();
            fds.clear();
            return new Message(request, flags, payload, fdArray);
        } catch (RuntimeException e) {
            closeAll(fds);
            if (e instanceof ProtocolViolation) throw e;
            throw new ProtocolViolation("(read)", VhostUserRule.CONNECTION, String.valueOf(e.getMessage()), true);
        }
    }

    /** Sends a reply to {@code request}: same request id, REPLY flag, version 1. */
    public void reply(Message request, byte[] payload, int... fds) {
        send(request.requestId(), Message.VERSION | Message.REPLY, payload, fds);
    }

    /** Sends a u64 reply. */
    public void replyU64(Message request, long value) {
        reply(request, u64(value));
    }

    /**
     * Sends any message: used for requests (front-end, back-end channel) and replies. One message at a time: workers
     * and the session thread may share the back-end channel, and a partial write must not interleave with another.
     */
    public synchronized void send(int request, int flags, byte[] payload, int... fds) {
        byte[] wire = new byte[Message.HEADER_SIZE + payload.length];
        ByteBuffer b = ByteBuffer.wrap(wire).order(ByteOrder.nativeOrder());
        b.putInt(request).putInt(flags).putInt(payload.length).put(payload);
        socket.send(wire, 0, wire.length, fds);
    }

    public static byte[] u64(long value) {
        return ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(value).array();
    }

    private static void closeAll(List<Integer> fds) {
        for (int fd : fds) Syscalls.closeQuietly(fd);
        fds.clear();
    }

    @Override
    public void close() {
        socket.close();
    }
}

package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.os.Syscalls;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One vhost-user message with the file descriptors that came with it. The message owns its descriptors until a
 * handler takes one with {@link #takeFd}; {@link #close()} closes every descriptor not taken, so no path can leak
 * one — surplus descriptors included.
 */
public final class Message implements AutoCloseable {

    /** Header flag bits (spec group {@code vhostuser.header_flags}). */
    public static final int VERSION = 0x1;
    public static final int VERSION_MASK = 0x3;
    public static final int REPLY = 0x4;
    public static final int NEED_REPLY = 0x8;
    public static final int HEADER_SIZE = 12;
    /** Largest body PVKit accepts: every implemented body is far smaller. */
    public static final int MAX_PAYLOAD = 4096;
    /** Most descriptors one message may carry. */
    public static final int MAX_FDS = 8;

    private final int requestId;
    private final int flags;
    private final byte[] payload;
    private final int[] fds;

    public Message(int requestId, int flags, byte[] payload, int[] fds) {
        this.requestId = requestId;
        this.flags = flags;
        this.payload = payload;
        this.fds = fds.clone();
    }

    public int requestId() {
        return requestId;
    }

    /** The implemented request, or null. */
    public FrontendRequest request() {
        return FrontendRequest.of(requestId);
    }

    /** A name for logs: the request's, or {@code request <id>}. */
    public String name() {
        FrontendRequest r = request();
        return r != null ? r.name() : "request " + requestId;
    }

    public int flags() {
        return flags;
    }

    public boolean needReply() {
        return (flags & NEED_REPLY) != 0;
    }

    public byte[] payload() {
        return payload;
    }

    /** The body as a native-order buffer (vhost-user messages use the host's byte order). */
    public ByteBuffer body() {
        return ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder());
    }

    public int fdCount() {
        int n = 0;
        for (int fd : fds) if (fd >= 0) n++;
        return n;
    }

    /** Takes ownership of descriptor {@code i}; the caller must close it. */
    public int takeFd(int i) {
        int fd = fds[i];
        if (fd < 0) throw new IllegalStateException("descriptor " + i + " of " + name() + " already taken");
        fds[i] = -1;
        return fd;
    }

    /** Descriptors attached, taken or not. */
    public int attachedFds() {
        return fds.length;
    }

    @Override
    public void close() {
        for (int i = 0; i < fds.length; i++) {
            if (fds[i] >= 0) {
                Syscalls.closeQuietly(fds[i]);
                fds[i] = -1;
            }
        }
    }
}

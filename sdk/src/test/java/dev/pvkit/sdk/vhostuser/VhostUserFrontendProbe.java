package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.os.UnixSocket;

import java.nio.file.Path;

/** A raw vhost-user client for tests: sends any bytes and descriptors, and tells whether the peer hung up. */
final class VhostUserFrontendProbe implements AutoCloseable {
    final UnixSocket socket;
    final MessageChannel channel;

    VhostUserFrontendProbe(Path path) {
        socket = UnixSocket.connect(path);
        channel = new MessageChannel(socket);
    }

    void sendRaw(int request, int flags, byte[] payload, int... fds) {
        channel.send(request, flags, payload, fds);
    }

    void sendBytes(byte[] bytes, int... fds) {
        socket.send(bytes, 0, bytes.length, fds);
    }

    /** Reads until the back-end closes the connection (true) or a reply arrives (false). */
    boolean closedByPeer() {
        try {
            Message m = channel.readReply();
            if (m == null) return true;
            m.close();
            return false;
        } catch (ProtocolViolation e) {
            return true;
        }
    }

    /** The next reply; null when the back-end closed. */
    Message reply() {
        return channel.readReply();
    }

    @Override
    public void close() {
        socket.close();
    }
}

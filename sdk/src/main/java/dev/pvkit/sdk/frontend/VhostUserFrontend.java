package dev.pvkit.sdk.frontend;

import dev.pvkit.sdk.memory.MemoryRegion;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.os.UnixSocket;
import dev.pvkit.sdk.vhostuser.Bodies;
import dev.pvkit.sdk.vhostuser.Message;
import dev.pvkit.sdk.vhostuser.MessageChannel;
import dev.pvkit.sdk.vhostuser.ProtocolFeatures;
import dev.pvkit.sdk.vhostuser.FrontendRequest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The driver side of vhost-user in Java: what QEMU does for a guest, so tests and benchmarks can drive any
 * vhost-user back-end (PVKit's, qemu-storage-daemon's, …) without a VM. One method per request; with REPLY_ACK
 * negotiated every request without a reply body asks for a status and a failure throws {@link FrontendException}.
 * Not thread-safe.
 */
public final class VhostUserFrontend implements AutoCloseable {

    private final MessageChannel channel;
    private long protocolFeatures;
    private UnixSocket backendEnd;

    private VhostUserFrontend(UnixSocket socket) {
        this.channel = new MessageChannel(socket);
    }

    public static VhostUserFrontend connect(Path socketPath) {
        return new VhostUserFrontend(UnixSocket.connect(socketPath));
    }

    /** Raw access for tests that send what no well-behaved front-end would. */
    public MessageChannel channel() {
        return channel;
    }

    // ---------------------------------------------------------------- features

    public long getFeatures() {
        return u64(call(FrontendRequest.GET_FEATURES, new byte[0]));
    }

    public void setFeatures(long features) {
        send(FrontendRequest.SET_FEATURES, MessageChannel.u64(features));
    }

    public long getProtocolFeatures() {
        return u64(call(FrontendRequest.GET_PROTOCOL_FEATURES, new byte[0]));
    }

    public void setProtocolFeatures(long features) {
        send(FrontendRequest.SET_PROTOCOL_FEATURES, MessageChannel.u64(features));
        protocolFeatures = features;
    }

    public void setOwner() {
        send(FrontendRequest.SET_OWNER, new byte[0]);
    }

    /** The deprecated RESET_OWNER: the back-end forgets the session's device state, as after RESET_DEVICE. */
    public void resetOwner() {
        send(FrontendRequest.RESET_OWNER, new byte[0]);
    }

    public int getQueueNum() {
        return (int) u64(call(FrontendRequest.GET_QUEUE_NUM, new byte[0]));
    }

    public int getMaxMemSlots() {
        return (int) u64(call(FrontendRequest.GET_MAX_MEM_SLOTS, new byte[0]));
    }

    // ---------------------------------------------------------------- memory

    /** Shares every region of a memfd-backed guest, in one SET_MEM_TABLE. */
    public void setMemTable(OwnedGuestMemory guest) {
        setMemTable(SharedMemory.of(guest));
    }

    /** Shares every region (at most 8) in one SET_MEM_TABLE, each with its file and file offset. */
    public void setMemTable(SharedMemory memory) {
        List<SharedMemory.SharedRegion> regions = memory.regions();
        List<Bodies.Region> table = new ArrayList<>();
        int[] fds = new int[regions.size()];
        for (int i = 0; i < regions.size(); i++) {
            table.add(wire(regions.get(i)));
            fds[i] = regions.get(i).fd();
        }
        send(FrontendRequest.SET_MEM_TABLE, new Bodies.MemoryTable(table).encode(), fds);
    }

    public void addMemReg(OwnedGuestMemory guest, MemoryRegion r) {
        addMemReg(SharedMemory.of(guest).regionAt(r.guestPhysical()));
    }

    public void addMemReg(SharedMemory.SharedRegion r) {
        send(FrontendRequest.ADD_MEM_REG, new Bodies.SingleRegion(wire(r)).encode(), r.fd());
    }

    public void remMemReg(MemoryRegion r) {
        send(FrontendRequest.REM_MEM_REG, new Bodies.SingleRegion(new Bodies.Region(r.guestPhysical(), r.size(), r.userAddress(), 0)).encode());
    }

    public void remMemReg(SharedMemory.SharedRegion r) {
        send(FrontendRequest.REM_MEM_REG, new Bodies.SingleRegion(wire(r)).encode());
    }

    private static Bodies.Region wire(SharedMemory.SharedRegion s) {
        MemoryRegion r = s.region();
        return new Bodies.Region(r.guestPhysical(), r.size(), r.userAddress(), s.fileOffset());
    }

    /** Shares a dirty-log bitmap of {@code size} bytes at {@code offset} in the file {@code fd} (SET_LOG_BASE). */
    public void setLogBase(int fd, long size, long offset) {
        long status = u64(call(FrontendRequest.SET_LOG_BASE, new Bodies.Log(size, offset).encode(), fd));
        if (status != 0) throw new FrontendException("SET_LOG_BASE failed: back-end answered status " + status);
    }

    /** SET_LOG_FD: an eventfd the back-end signals after it marked pages in the dirty log. */
    public void setLogFd(EventFd logged) {
        send(FrontendRequest.SET_LOG_FD, new byte[0], logged.fd());
    }

    /** The inflight area a back-end hands out (GET_INFLIGHT_FD): keep its descriptor across back-end restarts. */
    public record InflightArea(int fd, long size, long offset, int queues, int queueSize) implements AutoCloseable {
        @Override
        public void close() {
            dev.pvkit.sdk.os.Syscalls.closeQuietly(fd);
        }
    }

    public InflightArea getInflightFd(int queues, int queueSize) {
        channel.send(FrontendRequest.GET_INFLIGHT_FD.id(), Message.VERSION, new Bodies.Inflight(0, 0, queues, queueSize).encode());
        Message reply = channel.readReply();
        if (reply == null) throw new FrontendException("GET_INFLIGHT_FD: back-end closed the connection");
        try (reply) {
            if (reply.requestId() != FrontendRequest.GET_INFLIGHT_FD.id() || reply.payload().length != 24 || reply.attachedFds() != 1) {
                throw new FrontendException("GET_INFLIGHT_FD: malformed reply (" + reply.payload().length + " bytes, "
                        + reply.attachedFds() + " fds)");
            }
            ByteBuffer b = ByteBuffer.wrap(reply.payload()).order(ByteOrder.nativeOrder());
            return new InflightArea(reply.takeFd(0), b.getLong(0), b.getLong(8), b.getShort(16) & 0xffff, b.getShort(18) & 0xffff);
        }
    }

    public void setInflightFd(InflightArea area) {
        send(FrontendRequest.SET_INFLIGHT_FD, new Bodies.Inflight(area.size(), area.offset(), area.queues(), area.queueSize()).encode(), area.fd());
    }

    // ---------------------------------------------------------------- rings

    public void setVringNum(int index, int num) {
        send(FrontendRequest.SET_VRING_NUM, new Bodies.VringState(index, num).encode());
    }

    /** Ring addresses are front-end virtual addresses, as vhost-user wants them. */
    public void setVringAddr(int index, long descriptors, long used, long avail) {
        send(FrontendRequest.SET_VRING_ADDR, new Bodies.VringAddress(index, 0, descriptors, used, avail, 0).encode());
    }

    public void setVringBase(int index, long base) {
        send(FrontendRequest.SET_VRING_BASE, new Bodies.VringState(index, (int) base).encode());
    }

    /** Stops the ring and returns its position. */
    public long getVringBase(int index) {
        Message reply = call(FrontendRequest.GET_VRING_BASE, new Bodies.VringState(index, 0).encode());
        return Integer.toUnsignedLong(ByteBuffer.wrap(reply.payload()).order(ByteOrder.nativeOrder()).getInt(4));
    }

    public void setVringKick(int index, EventFd kick) {
        vringFd(FrontendRequest.SET_VRING_KICK, index, kick);
    }

    public void setVringCall(int index, EventFd call) {
        vringFd(FrontendRequest.SET_VRING_CALL, index, call);
    }

    public void setVringErr(int index, EventFd err) {
        vringFd(FrontendRequest.SET_VRING_ERR, index, err);
    }

    private void vringFd(FrontendRequest r, int index, EventFd fd) {
        if (fd == null) send(r, MessageChannel.u64(index | Bodies.VRING_NOFD));
        else send(r, MessageChannel.u64(index), fd.fd());
    }

    public void setVringEnable(int index, boolean enable) {
        send(FrontendRequest.SET_VRING_ENABLE, new Bodies.VringState(index, enable ? 1 : 0).encode());
    }

    // ---------------------------------------------------------------- config, status, reset

    /** Reads {@code size} bytes of the configuration space; an empty array when the back-end refused. */
    public byte[] getConfig(int offset, int size) {
        Message reply = call(FrontendRequest.GET_CONFIG, new Bodies.Config(offset, size, 0, new byte[size]).encode());
        ByteBuffer b = ByteBuffer.wrap(reply.payload()).order(ByteOrder.nativeOrder());
        int got = b.getInt(4);
        byte[] data = new byte[got];
        b.get(12, data);
        return data;
    }

    public void setConfig(int offset, byte[] data) {
        send(FrontendRequest.SET_CONFIG, new Bodies.Config(offset, data.length, 0, data).encode());
    }

    public void setStatus(int status) {
        send(FrontendRequest.SET_STATUS, MessageChannel.u64(status));
    }

    public int getStatus() {
        return (int) u64(call(FrontendRequest.GET_STATUS, new byte[0]));
    }

    public void resetDevice() {
        send(FrontendRequest.RESET_DEVICE, new byte[0]);
    }

    /**
     * Opens the back-end's request channel (SET_BACKEND_REQ_FD) and returns this side of it, on which the back-end
     * sends BACKEND_CONFIG_CHANGE_MSG.
     */
    public MessageChannel openBackendChannel() {
        UnixSocket[] pair = UnixSocket.pair();
        try {
            send(FrontendRequest.SET_BACKEND_REQ_FD, new byte[0], pair[1].fd());
        } finally {
            pair[1].close();
        }
        backendEnd = pair[0];
        return new MessageChannel(pair[0]);
    }

    // ---------------------------------------------------------------- plumbing

    /** Sends a request without a reply body; with REPLY_ACK it waits for the status and throws on failure. */
    public void send(FrontendRequest r, byte[] payload, int... fds) {
        boolean ack = ProtocolFeatures.has(protocolFeatures, ProtocolFeatures.REPLY_ACK);
        channel.send(r.id(), Message.VERSION | (ack ? Message.NEED_REPLY : 0), payload, fds);
        if (ack) {
            long status = u64(expectReply(r));
            if (status != 0) throw new FrontendException(r.name() + " failed: back-end answered status " + status);
        }
    }

    /** Sends a request with a reply body and returns the reply. */
    public Message call(FrontendRequest r, byte[] payload, int... fds) {
        channel.send(r.id(), Message.VERSION, payload, fds);
        return expectReply(r);
    }

    private Message expectReply(FrontendRequest r) {
        Message reply = channel.readReply();
        if (reply == null) throw new FrontendException(r.name() + ": back-end closed the connection");
        reply.close(); // no reply of ours carries descriptors we keep
        if (reply.requestId() != r.id()) {
            throw new FrontendException(r.name() + ": reply is for request " + reply.requestId());
        }
        return reply;
    }

    private static long u64(Message m) {
        if (m.payload().length != 8) throw new FrontendException(m.name() + ": reply has " + m.payload().length + " bytes, 8 expected");
        return ByteBuffer.wrap(m.payload()).order(ByteOrder.nativeOrder()).getLong(0);
    }

    @Override
    public void close() {
        channel.close();
        if (backendEnd != null) backendEnd.close();
    }
}

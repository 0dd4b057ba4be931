package dev.pvkit.sdk.vhostuser;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Message bodies as records, each decoded from a body whose size {@link #checkShape} already verified (the second
 * validation layer: exact size for the request, exact descriptor count). Layouts: PVKit spec §10, layouts
 * {@code vhost_user_*}; native byte order.
 */
public final class Bodies {
    private Bodies() {
    }

    /** Bit 0–7 of a KICK/CALL/ERR body: the ring index; bit 8: no descriptor attached (polling). */
    public static final long VRING_INDEX_MASK = 0xff;
    public static final long VRING_NOFD = 0x100;
    public static final int MAX_REGIONS = 8;
    public static final int MAX_CONFIG = 256;

    public record VringState(int index, int num) {
        static VringState of(Message m) {
            ByteBuffer b = m.body();
            return new VringState(b.getInt(0), b.getInt(4));
        }

        public byte[] encode() {
            return buffer(8).putInt(index).putInt(num).array();
        }
    }

    /** Ring addresses in the front-end's virtual address space (SET_VRING_ADDR). */
    public record VringAddress(int index, int flags, long descriptors, long used, long avail, long log) {
        static VringAddress of(Message m) {
            ByteBuffer b = m.body();
            return new VringAddress(b.getInt(0), b.getInt(4), b.getLong(8), b.getLong(16), b.getLong(24), b.getLong(32));
        }

        public byte[] encode() {
            return buffer(40).putInt(index).putInt(flags).putLong(descriptors).putLong(used).putLong(avail).putLong(log).array();
        }
    }

    /** SET_VRING_KICK, _CALL, _ERR: the ring and whether the message comes without a descriptor ({@link #VRING_NOFD}). */
    public record VringFd(int index, boolean noFd) {
        static VringFd of(Message m) {
            long v = u64(m);
            return new VringFd((int) (v & VRING_INDEX_MASK), (v & VRING_NOFD) != 0);
        }
    }

    public record Region(long guestPhysical, long size, long userAddress, long mmapOffset) {
        static Region read(ByteBuffer b, int at) {
            return new Region(b.getLong(at), b.getLong(at + 8), b.getLong(at + 16), b.getLong(at + 24));
        }

        void write(ByteBuffer b) {
            b.putLong(guestPhysical).putLong(size).putLong(userAddress).putLong(mmapOffset);
        }
    }

    public record MemoryTable(List<Region> regions) {
        static MemoryTable of(Message m) {
            ByteBuffer b = m.body();
            int n = b.getInt(0);
            List<Region> regions = new ArrayList<>(n);
            for (int i = 0; i < n; i++) regions.add(Region.read(b, 8 + 32 * i));
            return new MemoryTable(regions);
        }

        public byte[] encode() {
            ByteBuffer b = buffer(8 + 32 * regions.size()).putInt(regions.size()).putInt(0);
            regions.forEach(r -> r.write(b));
            return b.array();
        }
    }

    /** ADD_MEM_REG / REM_MEM_REG: 8 bytes of padding, then one region. */
    public record SingleRegion(Region region) {
        static SingleRegion of(Message m) {
            return new SingleRegion(Region.read(m.body(), 8));
        }

        public byte[] encode() {
            ByteBuffer b = buffer(40).putLong(0);
            region.write(b);
            return b.array();
        }
    }

    public record Config(int offset, int size, int flags, byte[] data) {
        static Config of(Message m) {
            ByteBuffer b = m.body();
            byte[] data = new byte[b.getInt(4)];
            b.get(12, data);
            return new Config(b.getInt(0), data.length, b.getInt(8), data);
        }

        public byte[] encode() {
            return buffer(12 + data.length).putInt(offset).putInt(size).putInt(flags).put(data).array();
        }
    }

    public record Log(long mmapSize, long mmapOffset) {
        static Log of(Message m) {
            ByteBuffer b = m.body();
            return new Log(b.getLong(0), b.getLong(8));
        }

        public byte[] encode() {
            return buffer(16).putLong(mmapSize).putLong(mmapOffset).array();
        }
    }

    public record Inflight(long mmapSize, long mmapOffset, int numQueues, int queueSize) {
        static Inflight of(Message m) {
            ByteBuffer b = m.body();
            return new Inflight(b.getLong(0), b.getLong(8), b.getShort(16) & 0xffff, b.getShort(18) & 0xffff);
        }

        public byte[] encode() {
            return buffer(24).putLong(mmapSize).putLong(mmapOffset).putShort((short) numQueues).putShort((short) queueSize)
                    .putInt(0).array();
        }
    }

    public static long u64(Message m) {
        return m.body().getLong(0);
    }

    static ByteBuffer buffer(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
    }

    /**
     * Layer two: the body has exactly the size its request calls for, and exactly the descriptors. Throws
     * {@link ProtocolViolation} naming the rule.
     */
    static void checkShape(FrontendRequest r, Message m) {
        int size = m.payload().length;
        int expected = switch (r.payload) {
            case MEM_TABLE -> {
                if (size < 8) yield 8;
                int n = m.body().getInt(0);
                if (n < 1 || n > MAX_REGIONS) {
                    throw new ProtocolViolation(r.name(), VhostUserRule.REGION_COUNT, n + " regions; 1.." + MAX_REGIONS + " allowed", false);
                }
                yield 8 + 32 * n;
            }
            case CONFIG -> {
                if (size < 12) yield 12;
                int n = m.body().getInt(4);
                if (n < 0 || n > MAX_CONFIG) {
                    throw new ProtocolViolation(r.name(), VhostUserRule.CONFIG_SIZE, Integer.toUnsignedString(n) + " bytes; at most " + MAX_CONFIG, false);
                }
                yield 12 + n;
            }
            default -> r.payload.fixedSize;
        };
        if (size != expected) {
            throw new ProtocolViolation(r.name(), VhostUserRule.PAYLOAD_SIZE, size + " bytes; " + expected + " expected", false);
        }
        int fds = m.attachedFds();
        int[] allowed = switch (r.fds) {
            case NONE -> new int[]{0, 0};
            case ONE -> new int[]{1, 1};
            case AT_MOST_ONE -> new int[]{0, 1};
            case PER_REGION -> new int[]{m.body().getInt(0), m.body().getInt(0)};
            case UNLESS_NOFD -> (u64(m) & VRING_NOFD) != 0 ? new int[]{0, 0} : new int[]{1, 1};
        };
        if (fds < allowed[0] || fds > allowed[1]) {
            throw new ProtocolViolation(r.name(), descriptorRule(r), fds + " descriptors; "
                    + (allowed[0] == allowed[1] ? String.valueOf(allowed[0]) : allowed[0] + ".." + allowed[1]) + " expected", false);
        }
    }

    /**
     * The rule a wrong descriptor count breaks: the front-end requirement that states the count for {@code r} where
     * there is one, else BE-VU-008's "missing or extra file descriptors".
     */
    static VhostUserRule descriptorRule(FrontendRequest r) {
        return switch (r) {
            case SET_MEM_TABLE -> VhostUserRule.MEM_TABLE_DESCRIPTORS;
            case ADD_MEM_REG -> VhostUserRule.ADD_MEM_REG_DESCRIPTORS;
            case REM_MEM_REG -> VhostUserRule.REM_MEM_REG_DESCRIPTORS;
            case SET_LOG_BASE -> VhostUserRule.LOG_BASE_DESCRIPTORS;
            case SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR -> VhostUserRule.NOTIFIER_DESCRIPTORS;
            default -> VhostUserRule.DESCRIPTOR_COUNT;
        };
    }
}

package dev.pvkit.sdk.xen.netif;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * netif layouts and constants (spec §9.5). Transmit slots are 12 bytes (a request; its 4-byte response; or a
 * 12-byte extra-info record), receive slots 8 bytes (a request, or its response, or an 8-byte extra-info record).
 */
public final class Netif {
    public static final int TX_SLOT = 12;
    public static final int RX_SLOT = 8;

    public static final int TXF_CSUM_BLANK = 1;
    public static final int TXF_DATA_VALIDATED = 2;
    public static final int TXF_MORE_DATA = 4;
    public static final int TXF_EXTRA_INFO = 8;

    public static final int RXF_DATA_VALIDATED = 1;
    public static final int RXF_CSUM_BLANK = 2;
    public static final int RXF_MORE_DATA = 4;
    public static final int RXF_EXTRA_INFO = 8;

    public static final int RSP_DROPPED = -2;
    public static final int RSP_ERROR = -1;
    public static final int RSP_OKAY = 0;
    public static final int RSP_NULL = 1;

    public static final int EXTRA_NONE = 0;
    public static final int EXTRA_GSO = 1;
    public static final int EXTRA_MCAST_ADD = 2;
    public static final int EXTRA_MCAST_DEL = 3;
    public static final int EXTRA_HASH = 4;
    public static final int EXTRA_FLAG_MORE = 1;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_TCPV6 = 2;

    /** The largest packet, and the most slots a back-end must accept for one [DEV-XNET-004]. */
    public static final int MAX_PACKET = 65535;
    public static final int MAX_SLOTS = 18;

    private Netif() {
    }

    /** A transmit request: data at {@code offset} of granted page {@code gref}; {@code size} as §9.5 defines it. */
    public record TxRequest(int gref, int offset, int flags, int id, int size) {
        public static TxRequest decode(ByteBuffer slot) {
            slot.order(ByteOrder.LITTLE_ENDIAN);
            return new TxRequest(slot.getInt(0), slot.getShort(4) & 0xffff, slot.getShort(6) & 0xffff,
                    slot.getShort(8) & 0xffff, slot.getShort(10) & 0xffff);
        }

        public ByteBuffer encode(ByteBuffer slot) {
            slot.clear().order(ByteOrder.LITTLE_ENDIAN);
            slot.putInt(0, gref).putShort(4, (short) offset).putShort(6, (short) flags).putShort(8, (short) id)
                    .putShort(10, (short) size);
            return slot.limit(TX_SLOT).position(0);
        }

        public boolean more() {
            return (flags & TXF_MORE_DATA) != 0;
        }
    }

    /** An extra-info record: its type, flags and six type-specific bytes (GSO: size u16, type u8, pad, features u16). */
    public record ExtraInfo(int type, int flags, int gsoSize, int gsoType) {
        public static ExtraInfo decode(ByteBuffer slot) {
            slot.order(ByteOrder.LITTLE_ENDIAN);
            return new ExtraInfo(slot.get(0) & 0xff, slot.get(1) & 0xff, slot.getShort(2) & 0xffff, slot.get(4) & 0xff);
        }

        public ByteBuffer encode(ByteBuffer slot, int slotSize) {
            slot.clear().order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < slotSize; i++) slot.put(i, (byte) 0);
            slot.put(0, (byte) type).put(1, (byte) flags).putShort(2, (short) gsoSize).put(4, (byte) gsoType);
            return slot.limit(slotSize).position(0);
        }

        public boolean more() {
            return (flags & EXTRA_FLAG_MORE) != 0;
        }
    }

    /** A receive request: the page {@code gref} the back-end fills, and the id its response returns. */
    public record RxRequest(int id, int gref) {
        public static RxRequest decode(ByteBuffer slot) {
            slot.order(ByteOrder.LITTLE_ENDIAN);
            return new RxRequest(slot.getShort(0) & 0xffff, slot.getInt(4));
        }

        public ByteBuffer encode(ByteBuffer slot) {
            slot.clear().order(ByteOrder.LITTLE_ENDIAN);
            slot.putShort(0, (short) id).putShort(2, (short) 0).putInt(4, gref);
            return slot.limit(RX_SLOT).position(0);
        }
    }

    /** A transmit response: the request's id and a {@code RSP_*} status. */
    public static ByteBuffer txResponse(ByteBuffer slot, int id, int status) {
        slot.clear().order(ByteOrder.LITTLE_ENDIAN);
        slot.putShort(0, (short) id).putShort(2, (short) status);
        return slot.limit(4).position(0);
    }

    /** A receive response: id, data offset in the page, {@code RXF_*} flags, and the length (or a negative status). */
    public static ByteBuffer rxResponse(ByteBuffer slot, int id, int offset, int flags, int status) {
        slot.clear().order(ByteOrder.LITTLE_ENDIAN);
        slot.putShort(0, (short) id).putShort(2, (short) offset).putShort(4, (short) flags).putShort(6, (short) status);
        return slot.limit(RX_SLOT).position(0);
    }
}

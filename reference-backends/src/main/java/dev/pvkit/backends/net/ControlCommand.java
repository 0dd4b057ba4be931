package dev.pvkit.backends.net;

import java.util.Arrays;

/**
 * One virtio-net control queue command as the driver put it in a chain's readable part (virtio 1.4 §5.1.9.5,
 * {@code struct virtio_net_ctrl}): a class byte, a command byte, then the command's own data. The ack byte and any
 * result live in the writable part, which is not this record's business. The data is copied in and out, so a
 * decoded command cannot change under the device while it is being served.
 */
public record ControlCommand(int commandClass, int command, byte[] data) {

    // Classes (§5.1.9.5): the first five are the ones PVKit serves, the rest are known so they can be named.
    public static final int CLASS_RX = 0;
    public static final int CLASS_MAC = 1;
    public static final int CLASS_VLAN = 2;
    public static final int CLASS_ANNOUNCE = 3;
    public static final int CLASS_MQ = 4;
    public static final int CLASS_GUEST_OFFLOADS = 5;
    public static final int CLASS_NOTF_COAL = 6;
    public static final int CLASS_HASH_TUNNEL = 7;
    public static final int CLASS_STATS = 8;
    public static final int CLASS_RSS_CTX = 9;

    // Commands of CLASS_RX (§5.1.9.5.1); each takes one byte, 0 or 1.
    public static final int RX_PROMISC = 0;
    public static final int RX_ALLMULTI = 1;
    public static final int RX_ALLUNI = 2;
    public static final int RX_NOMULTI = 3;
    public static final int RX_NOUNI = 4;
    public static final int RX_NOBCAST = 5;

    // Commands of CLASS_MAC (§5.1.9.5.2).
    public static final int MAC_TABLE_SET = 0;
    public static final int MAC_ADDR_SET = 1;

    // Commands of CLASS_VLAN (§5.1.9.5.3); each takes a le16 VLAN id.
    public static final int VLAN_ADD = 0;
    public static final int VLAN_DEL = 1;

    // Command of CLASS_ANNOUNCE (§5.1.9.5.4); no data.
    public static final int ANNOUNCE_ACK = 0;

    // Commands of CLASS_MQ (§5.1.9.5.5).
    public static final int MQ_VQ_PAIRS_SET = 0;
    public static final int MQ_RSS_CONFIG = 1;
    public static final int MQ_HASH_CONFIG = 2;

    /** Bytes before the data: the class and the command. */
    public static final int HEADER_BYTES = 2;

    public ControlCommand {
        if (commandClass < 0 || commandClass > 0xff) throw new IllegalArgumentException("class is a byte: " + commandClass);
        if (command < 0 || command > 0xff) throw new IllegalArgumentException("command is a byte: " + command);
        data = data == null ? new byte[0] : data.clone();
    }

    /** A command with {@code data} after the class and command bytes. */
    public static ControlCommand of(int commandClass, int command, byte... data) {
        return new ControlCommand(commandClass, command, data);
    }

    /**
     * What a chain's readable bytes hold: a command, or, when they are too short to name one, a finding saying so
     * (exactly one of the two is non-null). Never throws, whatever the bytes.
     */
    public static Decoded decode(byte[] readable) {
        int n = readable == null ? 0 : readable.length;
        if (n < HEADER_BYTES) {
            // No requirement id: the header layout is descriptive text in §5.1.9.5, not a normative statement.
            return new Decoded(null, new NetFinding(null, true,
                    "control chain of " + n + " readable bytes is shorter than the 2-byte class and command"));
        }
        return new Decoded(new ControlCommand(readable[0] & 0xff, readable[1] & 0xff,
                Arrays.copyOfRange(readable, HEADER_BYTES, n)), null);
    }

    /** The bytes a driver puts in the readable part for this command: class, command, data. */
    public byte[] encode() {
        byte[] b = new byte[HEADER_BYTES + data.length];
        b[0] = (byte) commandClass;
        b[1] = (byte) command;
        System.arraycopy(data, 0, b, HEADER_BYTES, data.length);
        return b;
    }

    /** A copy: the record's own bytes stay as decoded. */
    @Override
    public byte[] data() {
        return data.clone();
    }

    public int dataLength() {
        return data.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ControlCommand c && c.commandClass == commandClass && c.command == command
                && Arrays.equals(c.data, data);
    }

    @Override
    public int hashCode() {
        return (commandClass * 31 + command) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "ControlCommand[class " + commandClass + ", command " + command + ", " + data.length + " data bytes]";
    }

    /** The result of {@link #decode}: a command, or the finding that there was none. */
    public record Decoded(ControlCommand command, NetFinding finding) {
    }
}

package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.os.MappedMemory;
import dev.pvkit.sdk.os.NativeCallException;
import dev.pvkit.sdk.os.Syscalls;

/**
 * Maps a range of a file the front-end shared — a memory region, the dirty log, an inflight area — after the checks
 * every such range needs: {@code offset + size} neither empty nor overflowing, and inside the file (touching a
 * mapping past the end of its file raises SIGBUS, which would kill the JVM). Only the range's own pages are
 * mapped, at its file offset ({@link MappedMemory#sharedRange}), and only once the file cannot shrink. The caller keeps and closes the descriptor.
 */
final class SharedFile {
    private SharedFile() {
    }

    /** Which kind of shared file a range belongs to: its name in messages and the rules its checks break. */
    enum Kind {
        REGION("region", VhostUserRule.REGION_ARITHMETIC, VhostUserRule.REGION_BEYOND_FILE),
        LOG("log", VhostUserRule.LOG_ARITHMETIC, VhostUserRule.LOG_BEYOND_FILE),
        INFLIGHT("inflight", VhostUserRule.INFLIGHT_ARITHMETIC, VhostUserRule.INFLIGHT_BEYOND_FILE);

        final String what;
        final VhostUserRule arithmetic;
        final VhostUserRule beyondFile;

        Kind(String what, VhostUserRule arithmetic, VhostUserRule beyondFile) {
            this.what = what;
            this.arithmetic = arithmetic;
            this.beyondFile = beyondFile;
        }
    }

    /**
     * Throws a {@link ProtocolViolation} with the kind's arithmetic rule, {@link VhostUserRule#UNSEALED_FILE}, the
     * kind's beyond-file rule or {@link VhostUserRule#MAPPING}. The file is made unshrinkable ({@link ShrinkSeals#protect}) before its
     * size is checked: checked first, it could shrink between the check and the seal.
     */
    static MappedMemory map(FrontendRequest r, Kind kind, int fd, long offset, long size, ShrinkSeals seals) {
        if (size <= 0 || offset < 0 || offset > Long.MAX_VALUE - size) {
            throw new ProtocolViolation(r.name(), kind.arithmetic, String.format("size %s, offset %s overflow or are empty",
                    Long.toUnsignedString(size), Long.toUnsignedString(offset)), false);
        }
        seals.protect(r, kind.what, fd);
        try {
            long fileSize = Syscalls.fileSize(fd);
            if (offset + size > fileSize) {
                throw new ProtocolViolation(r.name(), kind.beyondFile,
                        String.format("%s needs %d bytes of a %d-byte file", kind.what, offset + size, fileSize), false);
            }
            return MappedMemory.sharedRange(fd, offset, size);
        } catch (NativeCallException e) {
            throw new ProtocolViolation(r.name(), VhostUserRule.MAPPING, e.getMessage(), false);
        }
    }
}

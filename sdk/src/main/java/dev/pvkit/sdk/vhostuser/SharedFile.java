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

    /**
     * Throws a {@link ProtocolViolation} with rule "{@code what} arithmetic", "{@value UnsealedFiles#REFUSAL_RULE}",
     * "{@code what} beyond file" or "mapping". The file is made unshrinkable ({@link ShrinkSeals#protect}) before its
     * size is checked: checked first, it could shrink between the check and the seal.
     */
    static MappedMemory map(Request r, String what, int fd, long offset, long size, ShrinkSeals seals) {
        if (size <= 0 || offset < 0 || offset > Long.MAX_VALUE - size) {
            throw new ProtocolViolation(r.name(), what + " arithmetic", String.format("size %s, offset %s overflow or are empty",
                    Long.toUnsignedString(size), Long.toUnsignedString(offset)), false);
        }
        seals.protect(r, what, fd);
        try {
            long fileSize = Syscalls.fileSize(fd);
            if (offset + size > fileSize) {
                throw new ProtocolViolation(r.name(), what + " beyond file",
                        String.format("%s needs %d bytes of a %d-byte file", what, offset + size, fileSize), false);
            }
            return MappedMemory.sharedRange(fd, offset, size);
        } catch (NativeCallException e) {
            throw new ProtocolViolation(r.name(), "mapping", e.getMessage(), false);
        }
    }
}

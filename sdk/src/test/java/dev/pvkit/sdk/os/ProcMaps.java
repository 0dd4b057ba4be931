package dev.pvkit.sdk.os;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** This process's mappings as /proc/self/maps shows them: where each starts, how long it is, what file offset it maps. */
public final class ProcMaps {
    private ProcMaps() {
    }

    public record Mapping(long start, long length, long fileOffset) {
    }

    /** Every mapping whose path contains {@code pathPart} (all mappings for null), e.g. {@code "/memfd:guest "}. */
    public static List<Mapping> mappings(String pathPart) {
        try {
            return Files.readAllLines(Path.of("/proc/self/maps")).stream()
                    .filter(l -> pathPart == null || l.contains(pathPart))
                    .map(ProcMaps::parse)
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The mapping holding {@code address}, if any. */
    public static Optional<Mapping> mappingAt(long address) {
        return mappings(null).stream()
                .filter(m -> Long.compareUnsigned(address, m.start()) >= 0 && Long.compareUnsigned(address, m.start() + m.length()) < 0)
                .findFirst();
    }

    private static Mapping parse(String line) {
        String[] f = line.split("\\s+");
        String[] range = f[0].split("-");
        long start = Long.parseUnsignedLong(range[0], 16);
        return new Mapping(start, Long.parseUnsignedLong(range[1], 16) - start, Long.parseUnsignedLong(f[2], 16));
    }
}

package dev.pvkit.conformance.profile;

import dev.pvkit.spec.PvSpec;
import dev.pvkit.spec.SpecVersion;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/**
 * Finds profiles: one shipped in this jar by name, otherwise a file by path. {@value #DEFAULT} is what
 * {@code pvkit certify} uses unless told otherwise.
 */
public final class Profiles {
    /** The full virtio-blk certification. */
    public static final String DEFAULT = "blk";
    /** The profiles in the jar, by name; each is {@value #RESOURCE_DIR}NAME.yaml. */
    public static final List<String> BUNDLED = List.of("blk", "blk-quick");
    /** Class-path folder of the bundled profiles and of the schemas. */
    public static final String RESOURCE_DIR = "dev/pvkit/conformance/profile/";
    /** Class-path location of the JSON Schema (draft 2020-12) of a profile file. */
    public static final String SCHEMA_RESOURCE = RESOURCE_DIR + "profile.schema.json";

    private Profiles() {
    }

    /** A bundled profile's name, or else a profile file's path, checked against the spec shipped in the jar. */
    public static Profile load(String nameOrPath) {
        return load(nameOrPath, PvSpec.load().version());
    }

    /**
     * A bundled profile's name, or else a profile file's path.
     *
     * @param spec the version of the specification the run checks against; the profile must be written for it
     * @throws InvalidFileException naming the file and field, or, for a name that is neither, the bundled names
     */
    public static Profile load(String nameOrPath, SpecVersion spec) {
        ProfileParser parser = new ProfileParser(spec);
        if (BUNDLED.contains(nameOrPath)) {
            return parser.parse("profile " + nameOrPath + " (bundled)", "bundled", bundledText(nameOrPath));
        }
        Path file = pathOrNull(nameOrPath);
        if (file == null || !Files.exists(file)) {
            throw new InvalidFileException("no profile '" + nameOrPath + "': it is neither a bundled profile ("
                    + String.join(", ", BUNDLED) + ") nor an existing file");
        }
        String name = "profile " + file;
        if (!Files.isRegularFile(file)) throw new InvalidFileException(name + ": not a regular file");
        try {
            return parser.parse(name, file.toString(), Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new InvalidFileException(name + ": cannot be read (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        }
    }

    /** The text of bundled profile {@code name}, as shipped. */
    static String bundledText(String name) {
        String resource = RESOURCE_DIR + name + ".yaml";
        try (InputStream in = Profiles.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException(resource + " is missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource, e);
        }
    }

    private static Path pathOrNull(String s) {
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            return null;
        }
    }
}

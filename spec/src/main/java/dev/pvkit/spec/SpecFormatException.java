package dev.pvkit.spec;

/**
 * A spec file that cannot be loaded. The message always names the file, the entry and the problem, so a spec
 * author can go straight to the broken line.
 */
public final class SpecFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final String entry;
    private final String problem;

    public SpecFormatException(String file, String entry, String problem) {
        this(file, entry, problem, null);
    }

    public SpecFormatException(String file, String entry, String problem, Throwable cause) {
        super(file + ": " + entry + ": " + problem, cause);
        this.file = file;
        this.entry = entry;
        this.problem = problem;
    }

    /** The file as the loader was given it (resource name or path). */
    public String file() {
        return file;
    }

    /** Which entry of the file: a path such as {@code requirements[3] (DRV-SPLIT-004)}. */
    public String entry() {
        return entry;
    }

    public String problem() {
        return problem;
    }
}

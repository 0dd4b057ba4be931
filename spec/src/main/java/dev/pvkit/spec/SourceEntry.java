package dev.pvkit.spec;

/** A declared source: the reference and the title of what it points at. */
public record SourceEntry(SourceRef ref, String title, String part) {
}

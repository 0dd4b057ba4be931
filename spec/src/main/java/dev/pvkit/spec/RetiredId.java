package dev.pvkit.spec;

/**
 * An id that was used once (in a draft or a release) and has no requirement in the catalog, listed so that it
 * is never given to a new rule.
 *
 * @param id     the retired id
 * @param reason why it is retired, in one line
 */
public record RetiredId(String id, String reason) {
}

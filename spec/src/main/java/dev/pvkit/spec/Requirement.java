package dev.pvkit.spec;

/**
 * One numbered rule of the specification.
 *
 * @param id         stable id {@code <T>-<AREA>-<NNN>}, never reused
 * @param target     who the rule binds
 * @param strength   its RFC 2119 keyword
 * @param area       the area code taken from the id
 * @param source     where the rule is profiled from
 * @param observable whether a device-side monitor can check it
 * @param how        how the device sees it, or why it cannot
 * @param statement  the rule in one line
 * @param part       the machine-form part file that defines it
 */
public record Requirement(String id, Target target, Strength strength, String area, SourceRef source,
                          Observability observable, String how, String statement, String part) {
}

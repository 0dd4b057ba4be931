package dev.pvkit.spec;

/**
 * A part of the specification that requirements belong to; its code is the middle component of their ids.
 *
 * @param code    upper-case code, e.g. {@code SPLIT}
 * @param name    human name, e.g. "Split virtqueues"
 * @param section the pvspec.md section that defines it, e.g. "6"
 */
public record Area(String code, String name, String section) {
}

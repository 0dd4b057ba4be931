package dev.pvkit.spec;

import java.util.List;
import java.util.Optional;

/**
 * A byte layout of a shared structure (ring, header, message payload).
 *
 * @param endian {@code little}, {@code big} or {@code native}
 * @param align  required alignment of the structure in bytes
 * @param size   total size, possibly a function of the queue size
 */
public record Layout(String name, String title, SourceRef source, String endian, int align, Formula size,
                     List<Field> fields, String part) {

    public Layout {
        fields = List.copyOf(fields);
    }

    /** One field; {@code offset} and {@code size} may depend on the queue size for arrays and what follows them. */
    public record Field(String name, Formula offset, Formula size, String type, String doc) {
    }

    public Optional<Field> field(String fieldName) {
        return fields.stream().filter(f -> f.name().equals(fieldName)).findFirst();
    }
}

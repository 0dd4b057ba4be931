package dev.pvkit.spec;

import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * Named numbers that belong together, e.g. {@code virtio.status} or {@code vhostuser.request}.
 *
 * @param kind whether values are plain values, bit numbers or bit masks
 */
public record ConstantGroup(String group, String title, SourceRef source, Kind kind, List<Constant> values,
                            String part) {

    public enum Kind { VALUE, BIT, MASK }

    public record Constant(String name, long value, String doc) {
    }

    public ConstantGroup {
        values = List.copyOf(values);
    }

    public Optional<Constant> find(String name) {
        return values.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    /** The value of {@code name}; throws naming the group when absent, since callers hard-wire their names. */
    public long value(String name) {
        return find(name).map(Constant::value)
                .orElseThrow(() -> new NoSuchElementException("constant " + group + "." + name + " is not in the spec"));
    }
}

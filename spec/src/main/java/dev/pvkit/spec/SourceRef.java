package dev.pvkit.spec;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a requirement, layout or constant comes from. Four forms exist:
 * <ul>
 *   <li>{@code virtio-1.4 §2.7.5.2} — a numbered section of the virtio specification;</li>
 *   <li>{@code xen:xen/include/public/io/ring.h} — a Xen public header;</li>
 *   <li>{@code vhost-user:Ring states} — a section title of QEMU's docs/interop/vhost-user.rst;</li>
 *   <li>{@code pvkit:guest agent} — a rule PVKit adds itself.</li>
 * </ul>
 *
 * @param text    the reference as written
 * @param kind    which document family
 * @param locator the part after the family: version and section, header path or section title
 */
public record SourceRef(String text, Kind kind, String locator) {

    public enum Kind { VIRTIO, XEN, VHOST_USER, PVKIT }

    private static final Pattern VIRTIO = Pattern.compile("virtio-(1\\.\\d+) §([1-9]\\d*(?:\\.[1-9]\\d*)*)");
    private static final Pattern XEN = Pattern.compile("xen:(xen/include/public/[a-z0-9_\\-]+(?:/[a-z0-9_\\-]+)*\\.h)");
    private static final Pattern VHOST_USER = Pattern.compile("vhost-user:(\\S(?:.*\\S)?)");
    private static final Pattern PVKIT = Pattern.compile("pvkit:(\\S(?:.*\\S)?)");

    /** Parses a reference, or returns empty when it matches none of the four forms. */
    public static Optional<SourceRef> parse(String text) {
        if (text == null || text.contains("\n")) return Optional.empty();
        Matcher m = VIRTIO.matcher(text);
        if (m.matches()) return Optional.of(new SourceRef(text, Kind.VIRTIO, m.group(1) + " §" + m.group(2)));
        m = XEN.matcher(text);
        if (m.matches()) return Optional.of(new SourceRef(text, Kind.XEN, m.group(1)));
        m = VHOST_USER.matcher(text);
        if (m.matches()) return Optional.of(new SourceRef(text, Kind.VHOST_USER, m.group(1)));
        m = PVKIT.matcher(text);
        if (m.matches()) return Optional.of(new SourceRef(text, Kind.PVKIT, m.group(1)));
        return Optional.empty();
    }

    /** The accepted forms, for error messages. */
    public static String forms() {
        return "'virtio-1.N §N.N…', 'xen:xen/include/public/<path>.h', 'vhost-user:<section title>' or 'pvkit:<topic>'";
    }

    @Override
    public String toString() {
        return text;
    }
}

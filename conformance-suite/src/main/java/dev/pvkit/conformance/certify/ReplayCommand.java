package dev.pvkit.conformance.certify;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The command line that replays a case on the guest a run certified: {@code pvkit certify}, the run's guest options
 * (kernel, initramfs, firmware, template, disk, passive, driver), then {@code --replay WORD}. The default guest needs
 * none; a vendor's kernel does, or the replay would boot another guest.
 */
final class ReplayCommand {
    private ReplayCommand() {
    }

    /** Everything before {@code --replay WORD}, for a run of {@code o}. */
    static String prefix(CertifyOptions o) {
        List<String> words = new ArrayList<>(List.of("pvkit", "certify"));
        if (o.firmware() != null) {
            words.addAll(List.of("--firmware", o.firmware().name().toLowerCase(Locale.ROOT)));
        } else if (o.kernel() != null) {
            words.addAll(List.of("--kernel", path(o.kernel())));
            if (o.initrd() != null) words.addAll(List.of("--initrd", path(o.initrd())));
            if (o.append() != null) words.addAll(List.of("--append", quoted(o.append())));
        } else if (o.template() != null) {
            words.addAll(List.of("--qemu-template", quoted(String.join(" ", o.template()))));
        }
        if (o.disk() != null) words.addAll(List.of("--disk", path(o.disk())));
        if (o.passive() && o.firmware() == null) words.add("--passive");
        if (o.driver() != null) words.addAll(List.of("--driver", o.driver().name().toLowerCase(Locale.ROOT)));
        return String.join(" ", words);
    }

    private static String path(Path p) {
        return quoted(p.toAbsolutePath().toString());
    }

    /** {@code s} as one shell word: as it is when it is safe, else in single quotes. */
    static String quoted(String s) {
        if (!s.isEmpty() && s.chars().allMatch(c -> Character.isLetterOrDigit(c) || "/._-=,:+@%".indexOf(c) >= 0)) return s;
        return "'" + s.replace("'", "'\\''") + "'";
    }
}

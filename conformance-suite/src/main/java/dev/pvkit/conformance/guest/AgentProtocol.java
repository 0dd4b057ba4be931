package dev.pvkit.conformance.guest;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing and formatting of the agent's line protocol (spec Appendix B.2, B.3). */
public final class AgentProtocol {
    public static final int VERSION = 1;
    static final String BANNER_PREFIX = "PVKIT-AGENT READY ";
    static final String DATA_PREFIX = "| ";
    private static final Pattern BANNER = Pattern.compile("PVKIT-AGENT READY (\\d+)(?: (.*))?");

    /** What a line from the agent is. Noise is anything else (e.g. firmware output on a shared serial port). */
    public enum Kind { BANNER, OK, ERR, DATA, NOISE }

    /** The agent's greeting: its protocol version and the {@code key=value} fields after it. */
    public record Banner(int version, Map<String, String> fields) {
        public String kernel() {
            return fields.getOrDefault("kernel", "unknown");
        }
    }

    private AgentProtocol() {
    }

    public static Kind classify(String line) {
        if (line.startsWith(BANNER_PREFIX)) return Kind.BANNER;
        if (line.equals("OK") || line.startsWith("OK ")) return Kind.OK;
        if (line.equals("ERR") || line.startsWith("ERR ")) return Kind.ERR;
        if (line.startsWith(DATA_PREFIX) || line.equals("|")) return Kind.DATA;
        return Kind.NOISE;
    }

    public static Banner parseBanner(String line) {
        Matcher m = BANNER.matcher(line);
        if (!m.matches()) throw new IllegalArgumentException("not an agent banner: " + line);
        return new Banner(Integer.parseInt(m.group(1)), fields(m.group(2) == null ? "" : m.group(2)));
    }

    /** Builds the reply from a result line and the data lines collected before it. */
    public static AgentReply result(String line, List<String> data) {
        Kind k = classify(line);
        if (k != Kind.OK && k != Kind.ERR) throw new IllegalArgumentException("not a result line: " + line);
        String text = line.substring(k == Kind.OK ? 2 : 3).strip();
        return new AgentReply(k == Kind.OK, text, data);
    }

    public static String data(String line) {
        return line.length() <= DATA_PREFIX.length() ? "" : line.substring(DATA_PREFIX.length());
    }

    /** {@code key=value} tokens separated by spaces; tokens without '=' are skipped. */
    public static Map<String, String> fields(String text) {
        Map<String, String> f = new LinkedHashMap<>();
        for (String tok : text.strip().split("\\s+")) {
            int eq = tok.indexOf('=');
            if (eq > 0) f.put(tok.substring(0, eq), tok.substring(eq + 1));
        }
        return f;
    }

    /** Joins a command; arguments must be single words, because the agent splits at white space. */
    public static String command(String verb, Object... args) {
        StringBuilder b = new StringBuilder(verb);
        for (Object a : args) {
            String s = String.valueOf(a);
            if (s.isEmpty() || !s.chars().allMatch(c -> c > ' ' && c < 127)) {
                throw new IllegalArgumentException("agent arguments are single printable words: '" + s + "'");
            }
            b.append(' ').append(s);
        }
        return b.toString();
    }
}

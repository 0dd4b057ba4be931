package dev.pvkit.conformance.guest;

import java.util.List;
import java.util.Map;

/**
 * One answer of the guest agent: its result line ({@code OK <text>} or {@code ERR <text>}) and the data lines
 * ({@code | ...}) that came before it, without their prefix.
 */
public record AgentReply(boolean ok, String text, List<String> data) {
    public AgentReply {
        data = List.copyOf(data);
    }

    /** The {@code key=value} fields of the result text. */
    public Map<String, String> fields() {
        return AgentProtocol.fields(text);
    }

    public String field(String key) {
        String v = fields().get(key);
        if (v == null) throw new AgentException("reply has no " + key + "=: " + this, this);
        return v;
    }

    @Override
    public String toString() {
        return (ok ? "OK" : "ERR") + (text.isEmpty() ? "" : " " + text)
                + (data.isEmpty() ? "" : " (+" + data.size() + " data lines)");
    }
}

package dev.pvkit.conformance.observe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Xen events as JSON lines, one event per line with its record's name in {@code "event"}: how the back-ends in the
 * live rig's dom0 hand what they saw to the host, where the checks run.
 */
public final class XenEventCodec {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Class<?>> TYPES = new HashMap<>();

    static {
        for (Class<?> c : XenEvent.class.getPermittedSubclasses()) TYPES.put(c.getSimpleName(), c);
    }

    private XenEventCodec() {
    }

    public static void write(List<Event> events, Path file) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Event e : events) {
                if (!(e instanceof XenEvent)) continue;
                ObjectNode n = JSON.createObjectNode().put("event", e.getClass().getSimpleName());
                n.setAll((ObjectNode) JSON.valueToTree(e));
                n.remove(List.of("source"));
                w.write(JSON.writeValueAsString(n));
                w.newLine();
            }
        }
    }

    /** Reads what {@link #write} wrote; a line that is not a Xen event fails with its line number. */
    public static List<Event> read(Path file) throws IOException {
        List<Event> out = new ArrayList<>();
        int n = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            if (line.isBlank()) continue;
            try {
                ObjectNode node = (ObjectNode) JSON.readTree(line);
                JsonNode type = node.remove("event");
                Class<?> c = type == null ? null : TYPES.get(type.asText());
                if (c == null) throw new IOException("unknown event " + type);
                out.add((Event) JSON.treeToValue(node, c));
            } catch (IOException | ClassCastException | IllegalArgumentException e) {
                throw new IOException(file + " line " + n + ": not a Xen event (" + e.getMessage() + ")", e);
            }
        }
        return out;
    }
}

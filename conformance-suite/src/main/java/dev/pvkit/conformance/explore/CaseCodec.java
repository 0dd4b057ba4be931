package dev.pvkit.conformance.explore;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A case as one word a person can paste: its JSON, base64url without padding. A shrunk case is not reachable from a
 * seed (shrinking ran live tries), so a replay carries the case itself. Decoding validates it like a generated one.
 */
public final class CaseCodec {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private CaseCodec() {
    }

    public static String encode(BlkCase c) {
        return encodeAny(c);
    }

    /** A virtio-net case as one word. */
    public static String encode(NetCase c) {
        return encodeAny(c);
    }

    private static String encodeAny(Object c) {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(c));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a case that cannot be written as JSON: " + e.getMessage(), e);
        }
    }

    /** The case {@code word} encodes; {@link IllegalArgumentException} with a reason when it encodes none. */
    public static BlkCase decode(String word) {
        BlkCase c = decode(word, BlkCase.class);
        if (c.behaviour() == null || c.workload() == null) throw new IllegalArgumentException("not a PVKit case: parts missing");
        return c;
    }

    /** The virtio-net case {@code word} encodes; {@link IllegalArgumentException} with a reason when it encodes none. */
    public static NetCase decodeNet(String word) {
        NetCase c = decode(word, NetCase.class);
        if (c.behaviour() == null || c.workload() == null) throw new IllegalArgumentException("not a PVKit net case: parts missing");
        return c;
    }

    private static <T> T decode(String word, Class<T> type) {
        byte[] json;
        try {
            json = Base64.getUrlDecoder().decode(word.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a PVKit case (not base64url): " + e.getMessage());
        }
        try {
            T c = JSON.readValue(json, type);
            if (c == null) throw new IllegalArgumentException("not a PVKit case: parts missing");
            return c;
        } catch (java.io.IOException e) {
            Throwable cause = e.getCause() instanceof IllegalArgumentException iae ? iae : e;
            throw new IllegalArgumentException("not a PVKit case: " + cause.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** The case as readable JSON, for reports. */
    public static String json(BlkCase c) {
        return jsonAny(c);
    }

    /** A virtio-net case as readable JSON, for reports. */
    public static String json(NetCase c) {
        return jsonAny(c);
    }

    private static String jsonAny(Object c) {
        try {
            return JSON.writeValueAsString(c);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

package dev.pvkit.spec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** A small, valid spec written to a folder, which tests then break one way at a time. */
final class SpecFixture {

    static final String INDEX = """
            schema: 4
            title: Test spec
            version: 1.2.3
            areas:
              - {code: TEST, name: "Test area", section: "1"}
            parts: [alpha, beta]
            coverage:
              - "virtio-1.4 §2.1.1"
            retired:
              - {id: DRV-TEST-002, reason: "draft id, dropped before the first release"}
            """;

    static final String ALPHA = """
            part: alpha
            requirements:
              - id: DRV-TEST-001
                target: driver
                strength: MUST
                source: "virtio-1.4 §2.1.1"
                observable: "yes"
                how: "status writes reach the device"
                observed-through: [transport-trace]
                statement: "The driver MUST set ACKNOWLEDGE first."
              - id: DEV-TEST-001
                target: device
                strength: MUST NOT
                source: "xen:xen/include/public/io/ring.h"
                observable: "partly"
                how: "seen in responses"
                statement: "The device MUST NOT answer twice."
            layouts:
              - name: pair
                title: Two fields
                source: "virtio-1.4 §2.1.1"
                endian: little
                align: 4
                size: 8
                fields:
                  - {name: a, offset: 0, size: 4, type: le32}
                  - {name: b, offset: 4, size: 4, type: le32}
              - name: ring
                title: A ring
                source: "virtio-1.4 §2.1.1"
                endian: little
                align: 2
                size: "6 + 2*Q"
                fields:
                  - {name: flags, offset: 0, size: 2, type: le16}
                  - {name: idx, offset: 2, size: 2, type: le16}
                  - {name: ring, offset: 4, size: "2*Q", type: "le16[Q]"}
                  - {name: event, offset: "4 + 2*Q", size: 2, type: le16}
            constants:
              - group: test.status
                title: Status bits
                source: "virtio-1.4 §2.1.1"
                kind: mask
                values:
                  - {name: ONE, value: 1}
                  - {name: TWO, value: 2}
            sources:
              - {ref: "virtio-1.4 §2.1.1", title: "Driver Requirements: Device Status Field"}
              - {ref: "xen:xen/include/public/io/ring.h", title: "Shared ring macros"}
            """;

    static final String BETA = """
            part: beta
            requirements:
              - id: FE-TEST-001
                target: front-end
                strength: SHOULD
                source: "vhost-user:Ring states"
                observable: "no"
                how: "internal"
                observed-through: none
                statement: "The front-end SHOULD wait."
              - id: FE-TEST-002
                target: front-end
                strength: SHOULD
                source: "vhost-user:Ring states"
                observable: "no"
                how: "internal"
                statement: "The front-end SHOULD wait a while."
                since: 1.1.0
                withdrawn:
                  in: 1.2.0
                  reason: "says what FE-TEST-001 says"
                  replaced-by: FE-TEST-001
            sources:
              - {ref: "vhost-user:Ring states", title: "Ring states"}
            """;

    private final Map<String, String> files = new LinkedHashMap<>();

    SpecFixture() {
        files.put("pvspec.yaml", INDEX);
        files.put("parts/alpha.yaml", ALPHA);
        files.put("parts/beta.yaml", BETA);
    }

    /** Replaces the first occurrence of {@code from} in {@code file}; fails loudly if the fixture lacks it. */
    SpecFixture replace(String file, String from, String to) {
        String text = files.get(file);
        int at = text.indexOf(from);
        if (at < 0) throw new IllegalArgumentException(file + " has no '" + from + "'");
        files.put(file, text.substring(0, at) + to + text.substring(at + from.length()));
        return this;
    }

    SpecFixture remove(String file) {
        files.remove(file);
        return this;
    }

    Path writeTo(Path dir) {
        try {
            for (Map.Entry<String, String> e : files.entrySet()) {
                Path p = dir.resolve(e.getKey());
                Files.createDirectories(p.getParent());
                Files.writeString(p, e.getValue());
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

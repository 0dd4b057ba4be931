package dev.pvkit.conformance.matrix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@value #FILE} in a shard's report folder: the whole matrix's plan (every cell, so that a merge knows what to
 * expect even when other shards are missing), which shard this is, and for each of its cells whether it ran (with
 * its result), could not run (and why), or is still pending. Written before the first cell starts and again after
 * each one, always whole (a temporary file renamed over it), so a shard stopped half-way leaves a truthful manifest.
 *
 * @param toolVersion the PVKit that ran the shard
 * @param specVersion the specification its verdicts cite
 * @param matrixName  the matrix's name, or null
 * @param matrixFile  the matrix file as given
 * @param fingerprint {@link Matrix#fingerprint()}
 * @param shard       which shard
 * @param plan        every cell of the matrix, in order
 * @param results     this shard's cells, in order
 * @param startedAt   when the shard started (ISO-8601)
 * @param finished    whether the shard got through all its cells
 */
public record ShardManifest(String toolVersion, String specVersion, String matrixName, String matrixFile, String fingerprint,
                            Shard shard, List<Planned> plan, List<Result> results, String startedAt, boolean finished) {
    public static final String FILE = "shard.json";
    /** The manifest's format; a merge refuses any other. */
    public static final String SCHEMA = "pvkit-shard/1";

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public ShardManifest {
        plan = List.copyOf(plan);
        results = List.copyOf(results);
    }

    /** A cell of the matrix as planned: enough to list it when its shard's results are missing. */
    public record Planned(int number, String guest, String guestDetail, String profile, Long seed) {
        static Planned of(MatrixCell c) {
            return new Planned(c.number(), c.guest().name(), c.guest().describe(), c.profileName(), c.seed());
        }
    }

    public enum State {
        PENDING("pending"), RAN("ran"), COULD_NOT_RUN("could not run");

        private final String label;

        State(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        static State of(String label) {
            for (State s : values()) if (s.label.equals(label)) return s;
            throw new IllegalArgumentException("status '" + label + "' is not one this PVKit writes");
        }
    }

    /**
     * What became of one of the shard's cells.
     *
     * @param failed  for a cell that ran: its certification failed or did not finish
     * @param detail  why it could not run, or why its run did not finish; else null
     * @param seconds how long it took
     */
    public record Result(int number, State state, boolean failed, String detail, double seconds) {
        static Result pending(int number) {
            return new Result(number, State.PENDING, false, null, 0);
        }
    }

    /** A fresh manifest: the matrix's plan and every cell of {@code shard} pending. */
    static ShardManifest start(String toolVersion, String specVersion, Matrix m, Shard shard, String startedAt) {
        return new ShardManifest(toolVersion, specVersion, m.name(), m.source(), m.fingerprint(), shard,
                m.cells().stream().map(Planned::of).toList(),
                shard.cellsOf(m).stream().map(c -> Result.pending(c.number())).toList(), startedAt, false);
    }

    /** This manifest with {@code r} recorded for its cell. */
    ShardManifest with(Result r) {
        List<Result> rs = new ArrayList<>(results);
        rs.replaceAll(x -> x.number() == r.number() ? r : x);
        return new ShardManifest(toolVersion, specVersion, matrixName, matrixFile, fingerprint, shard, plan, rs, startedAt, finished);
    }

    ShardManifest finish() {
        return new ShardManifest(toolVersion, specVersion, matrixName, matrixFile, fingerprint, shard, plan, results, startedAt, true);
    }

    /** The result recorded for cell {@code number}, or null when it is not this shard's. */
    public Result result(int number) {
        return results.stream().filter(r -> r.number() == number).findFirst().orElse(null);
    }

    /** Writes {@value #FILE} into {@code dir}, whole. */
    void write(Path dir) throws IOException {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("schema", SCHEMA);
        root.put("tool_version", toolVersion);
        root.put("spec_version", specVersion);
        ObjectNode matrix = root.putObject("matrix");
        matrix.put("name", matrixName);
        matrix.put("file", matrixFile);
        matrix.put("fingerprint", fingerprint);
        ArrayNode cells = matrix.putArray("cells");
        for (Planned p : plan) {
            ObjectNode c = cells.addObject();
            c.put("cell", p.number());
            c.put("guest", p.guest());
            c.put("guest_detail", p.guestDetail());
            c.put("profile", p.profile());
            c.put("seed", p.seed());
            c.put("shard", Shard.of(p.number(), shard.count()));
        }
        root.put("shard", shard.index());
        root.put("shards", shard.count());
        root.put("started_at", startedAt);
        root.put("finished", finished);
        ArrayNode rs = root.putArray("results");
        for (Result r : results) {
            ObjectNode n = rs.addObject();
            n.put("cell", r.number());
            n.put("status", r.state().label());
            n.put("result", r.state() == State.RAN ? (r.failed() ? "fail" : "pass") : null);
            n.put("detail", r.detail());
            n.put("report", r.state() == State.RAN ? "cell-" + r.number() : null);
            n.put("duration_seconds", r.seconds());
        }
        Path tmp = Files.createTempFile(dir, ".shard", ".json.tmp");
        try {
            MAPPER.writeValue(tmp.toFile(), root);
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Reads {@value #FILE} from {@code dir}.
     *
     * @throws InvalidMatrixException one line naming the file and what is wrong with it
     */
    static ShardManifest read(Path dir) {
        Path file = dir.resolve(FILE);
        try {
            JsonNode root = MAPPER.readTree(file.toFile());
            if (!SCHEMA.equals(root.path("schema").asText())) {
                throw new IllegalArgumentException("format '" + root.path("schema").asText() + "', but this PVKit reads " + SCHEMA);
            }
            JsonNode m = root.path("matrix");
            List<Planned> plan = new ArrayList<>();
            for (JsonNode c : m.path("cells")) {
                plan.add(new Planned(c.path("cell").asInt(), c.path("guest").asText(), c.path("guest_detail").asText(),
                        c.path("profile").asText(), c.path("seed").isNull() ? null : c.path("seed").asLong()));
            }
            List<Result> results = new ArrayList<>();
            for (JsonNode r : root.path("results")) {
                results.add(new Result(r.path("cell").asInt(), State.of(r.path("status").asText()), "fail".equals(r.path("result").asText()),
                        r.path("detail").isNull() ? null : r.path("detail").asText(), r.path("duration_seconds").asDouble()));
            }
            Shard shard = new Shard(root.path("shard").asInt(), root.path("shards").asInt());
            if (plan.isEmpty()) throw new IllegalArgumentException("plans no cells");
            return new ShardManifest(root.path("tool_version").asText(), root.path("spec_version").asText(),
                    m.path("name").isNull() ? null : m.path("name").asText(), m.path("file").asText(), m.path("fingerprint").asText(),
                    shard, plan, results, root.path("started_at").asText(), root.path("finished").asBoolean());
        } catch (IOException | IllegalArgumentException e) {
            String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? "not JSON (" + j.getOriginalMessage() + ")" : e.getMessage();
            throw new InvalidMatrixException(file + ": not a shard manifest: " + why, e);
        }
    }
}

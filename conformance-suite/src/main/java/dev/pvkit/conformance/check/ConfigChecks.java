package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.CommonField;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.TransportEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Device-configuration reads (areas CFG and BLK) from the trace: the config_generation protocol around reads that
 * are not atomic, optional fields read only when their feature is offered, and virtio-blk's writeback field read
 * only after FEATURES_OK. A "read run" is a stretch of consecutive device-configuration and config_generation
 * reads, as a driver's one configuration read (with its generation bracket) produces it.
 *
 * <p>Reads of one field of at most 32 bits are atomic on this transport and are not asked to be bracketed; the
 * generation protocol is judged where the driver needs it (a field wider than 32 bits, DRV-CFG-001) or uses it
 * (a bracket whose two generation values differ must be repeated, DRV-CFG-003).
 */
public final class ConfigChecks implements Check {
    /** MUST NOT assume a read of a field wider than 32 bits is atomic. */
    public static final String WIDE_NOT_ATOMIC = "DRV-CFG-001";
    /** SHOULD read between two generation reads and repeat until they match. */
    public static final String GENERATION_RETRY = "DRV-CFG-003";
    /** MUST check a feature is offered before accessing the optional field it governs. */
    public static final String OPTIONAL_FIELD_OFFERED = "DRV-CFG-004";
    /** MUST NOT read the writeback field before FEATURES_OK. */
    public static final String WRITEBACK_AFTER_FEATURES_OK = "DRV-BLK-004";

    /** virtio_blk_config (virtio 1.4 §5.2.4): the writeback field's offset. */
    static final int BLK_WRITEBACK = 32;

    /** An optional virtio_blk_config field: [from, to) and the feature bit that governs it. */
    private record Optional(int from, int to, int bit, String name) {
    }

    private static final List<Optional> BLK_OPTIONAL = List.of(
            new Optional(8, 12, 1, "size_max (SIZE_MAX)"),
            new Optional(12, 16, 2, "seg_max (SEG_MAX)"),
            new Optional(16, 20, 4, "geometry (GEOMETRY)"),
            new Optional(20, 24, 6, "blk_size (BLK_SIZE)"),
            new Optional(24, 32, 10, "topology (TOPOLOGY)"),
            new Optional(32, 33, 11, "writeback (CONFIG_WCE)"),
            new Optional(34, 36, 12, "num_queues (MQ)"),
            new Optional(36, 48, 13, "discard limits (DISCARD)"),
            new Optional(48, 57, 14, "write zeroes limits (WRITE_ZEROES)"),
            new Optional(60, 72, 16, "secure erase limits (SECURE_ERASE)"),
            new Optional(72, 96, 17, "zoned characteristics (ZONED)"));
    /** virtio_blk_config fields wider than 32 bits: capacity. */
    private static final int[][] BLK_WIDE = {{0, 8}};

    @Override
    public Set<String> decides() {
        return Set.of(WIDE_NOT_ATOMIC, GENERATION_RETRY, OPTIONAL_FIELD_OFFERED, WRITEBACK_AFTER_FEATURES_OK);
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        PciRegisters.replay(session, (t, r) -> {
            if (t.region() != TransportEvent.Region.DEVICE || t.write() || !isBlk(t) || !r.known()) return;
            if (t.offset() <= BLK_WRITEBACK && t.offset() + t.size() > BLK_WRITEBACK) {
                if (r.featuresOk()) findings.kept(WRITEBACK_AFTER_FEATURES_OK, t);
                else findings.broke(WRITEBACK_AFTER_FEATURES_OK, -1, t, String.format("read the writeback field (device"
                        + " config+0x20) with device_status %s, before FEATURES_OK; the rule forbids reading it before"
                        + " FEATURES_OK is set", PciRegisters.status(r.statusSet())));
            }
            for (Optional o : BLK_OPTIONAL) {
                if (t.offset() >= o.to || t.offset() + t.size() <= o.from) continue;
                r.offers(o.bit).ifPresent(offered -> {
                    if (offered) findings.kept(OPTIONAL_FIELD_OFFERED, t);
                    else findings.broke(OPTIONAL_FIELD_OFFERED, -1, t, String.format("read device config+0x%x, the"
                                    + " optional field %s, although feature bit %d was not offered (device_feature word 0"
                                    + " read 0x%08x); the rule asks the driver to check the feature first",
                            t.offset(), o.name, o.bit, r.offered(0).orElse(0)));
                });
            }
        });
        for (List<TransportEvent> run : readRuns(session)) checkRun(run, findings);
    }

    private static boolean isBlk(TransportEvent t) {
        return t.device() != null && t.device().contains("blk");
    }

    /** Maximal stretches of consecutive device-configuration reads and config_generation reads. */
    private static List<List<TransportEvent>> readRuns(DriverSession session) {
        List<List<TransportEvent>> runs = new ArrayList<>();
        List<TransportEvent> run = new ArrayList<>();
        for (Event e : session.events()) {
            if (!(e instanceof TransportEvent t)) continue;
            boolean member = !t.write() && (t.region() == TransportEvent.Region.DEVICE || t.isReadOf(CommonField.CONFIG_GENERATION));
            if (member) {
                run.add(t);
            } else if (!run.isEmpty()) {
                runs.add(run);
                run = new ArrayList<>();
            }
        }
        if (!run.isEmpty()) runs.add(run);
        return runs;
    }

    private static boolean isGeneration(TransportEvent t) {
        return t.isReadOf(CommonField.CONFIG_GENERATION);
    }

    /**
     * Where in the run the rest of the wide field read at {@code loAt} was read (a read ending at {@code end}): the
     * nearest after it, else the nearest before it; -1 if none.
     */
    private static int otherHalf(List<TransportEvent> run, int loAt, int end) {
        for (int j = loAt + 1; j < run.size(); j++) {
            if (!isGeneration(run.get(j)) && run.get(j).offset() + run.get(j).size() == end) return j;
        }
        for (int j = loAt - 1; j >= 0; j--) {
            if (!isGeneration(run.get(j)) && run.get(j).offset() + run.get(j).size() == end) return j;
        }
        return -1;
    }

    private static void checkRun(List<TransportEvent> run, Findings findings) {
        // DRV-CFG-001: both halves of a wide field, in either order, with a generation read before and after them in
        // the run. (High half first tears as surely as low half first.)
        for (int i = 0; i < run.size(); i++) {
            TransportEvent lo = run.get(i);
            if (isGeneration(lo) || !isBlk(lo)) continue;
            for (int[] wide : BLK_WIDE) {
                if (lo.offset() != wide[0] || lo.size() >= wide[1] - wide[0]) continue;
                int hiAt = otherHalf(run, i, wide[1]);
                if (hiAt < 0) continue;
                int first = Math.min(i, hiAt);
                int last = Math.max(i, hiAt);
                boolean before = run.subList(0, first).stream().anyMatch(ConfigChecks::isGeneration);
                boolean after = run.subList(last + 1, run.size()).stream().anyMatch(ConfigChecks::isGeneration);
                if (before && after) findings.kept(WIDE_NOT_ATOMIC, lo);
                else findings.broke(WIDE_NOT_ATOMIC, -1, List.of(run.get(first), run.get(last)), String.format(
                        "read the %d-byte field at device config+0x%x in %d-byte pieces with no config_generation read"
                                + " %s them; the rule forbids assuming such a read is atomic (a generation read before"
                                + " and after shows whether it was torn)", wide[1] - wide[0], wide[0], lo.size(),
                        !before && !after ? "around" : !before ? "before" : "after"));
            }
        }
        // DRV-CFG-003: a bracket whose generation values differ is followed by the reads again and a new bracket.
        List<Integer> gens = new ArrayList<>();
        for (int i = 0; i < run.size(); i++) if (isGeneration(run.get(i))) gens.add(i);
        for (int k = 0; k + 1 < gens.size(); k++) {
            int a = gens.get(k);
            int b = gens.get(k + 1);
            if (b == a + 1) continue; // no configuration read in between: not a bracket
            TransportEvent ga = run.get(a);
            TransportEvent gb = run.get(b);
            if (ga.value() == gb.value()) {
                findings.kept(GENERATION_RETRY, gb);
                continue;
            }
            boolean reread = false;
            for (int j = b + 1; j < run.size(); j++) {
                if (!isGeneration(run.get(j))) {
                    reread = run.subList(j + 1, run.size()).stream().anyMatch(ConfigChecks::isGeneration);
                    break;
                }
            }
            if (!reread) findings.broke(GENERATION_RETRY, -1, List.of(gb, ga), String.format(
                    "config_generation read 0x%x before and 0x%x after its configuration reads, and the driver did not"
                            + " read them again; the rule asks to repeat the reads until both generation values match",
                    ga.value(), gb.value()));
        }
    }
}

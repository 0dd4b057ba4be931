package dev.pvkit.backends.xenblk;

import dev.pvkit.sdk.xen.blkif.BlkifOp;
import dev.pvkit.sdk.xen.blkif.BlkifProtocol;
import dev.pvkit.sdk.xen.blkif.BlkifRequest;
import dev.pvkit.backends.blk.BlockEngine;
import dev.pvkit.backends.blk.BlockRange;
import dev.pvkit.backends.blk.BlockStatus;
import dev.pvkit.sdk.xen.GrantException;
import dev.pvkit.sdk.xen.GrantMapper;
import dev.pvkit.sdk.xen.GrantMapping;
import dev.pvkit.sdk.xen.GrantStatus;
import dev.pvkit.sdk.xen.XenObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Serves one blkif request against the block engine: validates it completely (segment counts and bounds, advertised
 * operations, every grant mapped with the right access) before a byte moves, and answers OKAY, ERROR or EOPNOTSUPP
 * only [DEV-XBLK-003]. Grants are unmapped before the response is published [DEV-XEN-004].
 */
final class BlkifRequestHandler {
    private static final Logger LOG = LoggerFactory.getLogger(BlkifRequestHandler.class);

    /** Grant references 0–7 belong to the toolstack (0 the console, 1 XenStore): never a front-end's data. */
    static final int RESERVED_REFS = 8;

    private final BlockEngine engine;
    private final BlkbackOptions options;
    private final GrantMapper grants;
    private final int frontendDomid;
    private final XenObserver observer;
    /** The ring's persistent grants, or null when the front-end did not ask for them. */
    private final PersistentGrants persistent;

    /** The outcome: a status and, when the request broke a rule, the requirement. */
    record Outcome(int status, String refused) {
        static final Outcome OKAY = new Outcome(BlkifOp.STATUS_OKAY, null);

        static Outcome of(BlockStatus s) {
            return switch (s) {
                case OK -> OKAY;
                case UNSUPP -> new Outcome(BlkifOp.STATUS_EOPNOTSUPP, null);
                case IOERR -> new Outcome(BlkifOp.STATUS_ERROR, null);
            };
        }
    }

    BlkifRequestHandler(BlockEngine engine, BlkbackOptions options, GrantMapper grants, int frontendDomid,
                        XenObserver observer, PersistentGrants persistent) {
        this.persistent = persistent;
        this.engine = engine;
        this.options = options;
        this.grants = grants;
        this.frontendDomid = frontendDomid;
        this.observer = observer;
    }

    Outcome serve(BlkifRequest r) {
        return switch (r.operation()) {
            case BlkifOp.READ, BlkifOp.WRITE -> data(r, r.segments(), BlkifOp.MAX_DIRECT_SEGMENTS, "DRV-XBLK-001");
            case BlkifOp.INDIRECT -> indirect(r);
            case BlkifOp.FLUSH_DISKCACHE -> options.flush() ? flushAround(r) : unsupported(r, "DRV-XBLK-005");
            case BlkifOp.WRITE_BARRIER -> options.barrier() ? flushAround(r) : unsupported(r, "DRV-XBLK-005");
            case BlkifOp.DISCARD -> options.discard() ? discard(r) : unsupported(r, "DRV-XBLK-005");
            default -> {
                LOG.warn("blkif {}: unknown operation, answered EOPNOTSUPP [DEV-XBLK-003]", r.describe());
                yield new Outcome(BlkifOp.STATUS_EOPNOTSUPP, null);
            }
        };
    }

    private static Outcome unsupported(BlkifRequest r, String requirement) {
        LOG.warn("blkif {}: operation not advertised, answered EOPNOTSUPP [{}]", r.describe(), requirement);
        return new Outcome(BlkifOp.STATUS_EOPNOTSUPP, requirement);
    }

    private static Outcome refuse(BlkifRequest r, String requirement, String why) {
        LOG.warn("blkif {}: {}, answered ERROR [{}] [DEV-XBLK-004]", r.describe(), why, requirement);
        return new Outcome(BlkifOp.STATUS_ERROR, requirement);
    }

    /**
     * Barrier and flush: every earlier write is complete already (requests on a ring are served in order), so the
     * cache is flushed, the request's own data (a flush may carry a write) written, and the cache flushed again
     * [DEV-XBLK-008] [DEV-XBLK-009].
     */
    private Outcome flushAround(BlkifRequest r) {
        if (r.nrSegments() > 0) {
            Outcome shape = checkSegments(r, r.segments(), BlkifOp.MAX_DIRECT_SEGMENTS, "DRV-XBLK-001");
            if (shape != null) return shape;
        }
        BlockStatus s = engine.flush();
        if (s != BlockStatus.OK) return Outcome.of(s);
        if (r.nrSegments() > 0) {
            Outcome written = move(r, r.segments(), BlkifOp.WRITE);
            if (written.status() != BlkifOp.STATUS_OKAY) return written;
        }
        return Outcome.of(engine.flush());
    }

    private Outcome data(BlkifRequest r, List<BlkifRequest.Segment> segments, int max, String countRule) {
        Outcome shape = checkSegments(r, segments, max, countRule);
        return shape != null ? shape : move(r, segments, r.dataOperation());
    }

    private Outcome checkSegments(BlkifRequest r, List<BlkifRequest.Segment> segments, int max, String countRule) {
        if (r.nrSegments() > max) {
            return refuse(r, countRule, r.nrSegments() + " segments where at most " + max + " are allowed");
        }
        if (r.nrSegments() < 1) {
            LOG.warn("blkif {}: a data request without segments, answered ERROR [DEV-XBLK-004]", r.describe());
            return new Outcome(BlkifOp.STATUS_ERROR, null);
        }
        int unit = options.sectorSize() / 512;
        long bytes = 0;
        for (BlkifRequest.Segment s : segments) {
            if (s.firstSect() > s.lastSect() || s.lastSect() > 7) {
                return refuse(r, "DRV-XBLK-002", "segment sectors " + s.firstSect() + ".." + s.lastSect());
            }
            if (s.firstSect() % unit != 0 || (s.lastSect() + 1) % unit != 0) {
                return refuse(r, "DRV-XBLK-003", "segment sectors " + s.firstSect() + ".." + s.lastSect()
                        + " are not whole " + options.sectorSize() + "-byte sectors");
            }
            bytes += s.bytes();
        }
        if (r.sector() % unit != 0) {
            return refuse(r, "DRV-XBLK-004", "sector " + r.sector() + " is not a multiple of sector-size " + options.sectorSize());
        }
        long capacity = engine.capacitySectors();
        if (r.sector() < 0 || r.sector() > capacity || bytes / 512 > capacity - r.sector()) {
            LOG.warn("blkif {}: past the end of the {}-sector disk, answered ERROR", r.describe(), capacity);
            return new Outcome(BlkifOp.STATUS_ERROR, null);
        }
        return null;
    }

    /** Maps every segment's frame (writable only when the disk's data goes into it), then moves the data. */
    private Outcome move(BlkifRequest r, List<BlkifRequest.Segment> segments, int direction) {
        if (direction != BlkifOp.READ && direction != BlkifOp.WRITE) {
            return refuse(r, "DRV-XBLK-020", "indirect operation " + direction + " is neither READ nor WRITE");
        }
        boolean toGuest = direction == BlkifOp.READ;
        for (BlkifRequest.Segment s : segments) {
            if (s.ref() >= 0 && s.ref() < RESERVED_REFS) {
                return refuse(r, "DRV-XEN-013", "segment grant reference " + s.ref() + " is one the toolstack reserves");
            }
        }
        List<GrantMapping> mapped = new ArrayList<>(segments.size());
        try {
            List<ByteBuffer> views = new ArrayList<>(segments.size());
            for (BlkifRequest.Segment s : segments) {
                ByteBuffer page;
                try {
                    page = page(s.ref(), toGuest, mapped);
                } catch (GrantException e) {
                    observer.grantRefused(s.ref(), e.status(), toGuest || persistent != null, "data");
                    return grantRefused(r, e, toGuest);
                }
                views.add(page.position(s.firstSect() * 512).limit((s.lastSect() + 1) * 512).slice());
            }
            long bytes = views.stream().mapToLong(ByteBuffer::remaining).sum();
            BlockStatus st = toGuest
                    ? engine.readInto(r.sector(), bytes, (store, offset, n) -> {
                        long at = offset;
                        for (ByteBuffer v : views) {
                            int len = v.remaining();
                            store.read(at, v);
                            at += len;
                        }
                    })
                    : engine.writeFrom(r.sector(), bytes, (store, offset, n) -> {
                        long at = offset;
                        for (ByteBuffer v : views) {
                            int len = v.remaining();
                            store.write(at, v);
                            at += len;
                        }
                    });
            return Outcome.of(st);
        } finally {
            mapped.forEach(GrantMapping::close);
        }
    }

    private Outcome indirect(BlkifRequest r) {
        int max = options.maxIndirectSegments();
        if (max == 0) return unsupported(r, "DRV-XBLK-006");
        if (r.nrSegments() < 1 || r.nrSegments() > max) {
            return refuse(r, "DRV-XBLK-007", r.nrSegments() + " indirect segments where 1–" + max + " are allowed");
        }
        int pages = (r.nrSegments() + BlkifOp.SEGMENTS_PER_INDIRECT_PAGE - 1) / BlkifOp.SEGMENTS_PER_INDIRECT_PAGE;
        List<BlkifRequest.Segment> segments = new ArrayList<>(r.nrSegments());
        for (int p = 0; p < pages; p++) {
            int ref = r.indirectRefs()[p];
            if (ref >= 0 && ref < RESERVED_REFS) {
                return refuse(r, "DRV-XEN-013", "indirect page grant reference " + ref + " is one the toolstack reserves");
            }
            List<GrantMapping> mapped = new ArrayList<>(1);
            try {
                ByteBuffer page = page(ref, false, mapped).order(ByteOrder.LITTLE_ENDIAN);
                int here = Math.min(BlkifOp.SEGMENTS_PER_INDIRECT_PAGE, r.nrSegments() - p * BlkifOp.SEGMENTS_PER_INDIRECT_PAGE);
                for (int i = 0; i < here; i++) segments.add(BlkifProtocol.segment(page, 8 * i));
            } catch (GrantException e) {
                observer.grantRefused(ref, e.status(), persistent != null, "indirect page");
                return grantRefused(r, e, false);
            } finally {
                mapped.forEach(GrantMapping::close);
            }
        }
        return data(r, segments, max, "DRV-XBLK-007");
    }

    /**
     * A view of {@code ref}'s page: from the ring's persistent grants when it has them (mapped writable, kept), else
     * mapped for this request only (writable when the back-end writes into it, and always when the front-end asked for
     * persistent grants, whose pages are granted writable), the mapping added to {@code transientMappings} for the caller to
     * unmap.
     */
    private ByteBuffer page(int ref, boolean writable, List<GrantMapping> transientMappings) throws GrantException {
        ByteBuffer kept = persistent == null ? null : persistent.page(ref);
        if (kept != null) return kept;
        GrantMapping m = grants.map(frontendDomid, new int[]{ref}, writable || persistent != null);
        transientMappings.add(m);
        return m.page(0).duplicate();
    }

    /**
     * A data or indirect page the back-end could not map. Refused write access breaks a rule: DRV-XBLK-013 for a
     * persistent-grant page (always needed writable), DRV-XEN-003 for a READ's frame; any other refusal is a bad
     * reference, answered ERROR without a rule.
     */
    private Outcome grantRefused(BlkifRequest r, GrantException e, boolean toGuest) {
        String rule = e.status() != GrantStatus.PERMISSION_DENIED ? null
                : persistent != null ? "DRV-XBLK-013" : toGuest ? "DRV-XEN-003" : null;
        LOG.warn("blkif {}: {}{}, answered ERROR [DEV-XEN-001]", r.describe(), e.getMessage(), rule == null ? "" : " [" + rule + "]");
        return new Outcome(BlkifOp.STATUS_ERROR, rule);
    }

    /** Unmaps the ring's persistent grants, if any. */
    void close() {
        if (persistent != null) persistent.close();
    }

    private Outcome discard(BlkifRequest r) {
        if ((r.discardFlags() & BlkifOp.DISCARD_SECURE) != 0) {
            LOG.warn("blkif {}: secure erase asked of a back-end that published discard-secure 0, answered EOPNOTSUPP"
                    + " [DRV-XBLK-019]", r.describe());
            return new Outcome(BlkifOp.STATUS_EOPNOTSUPP, "DRV-XBLK-019");
        }
        if (r.sector() * 512 % options.sectorSize() != 0) {
            return refuse(r, "DRV-XBLK-018", "discard at sector " + r.sector() + " is not aligned to discard-granularity "
                    + options.sectorSize());
        }
        long capacity = engine.capacitySectors();
        long n = r.discardSectors();
        if (r.sector() < 0 || n < 0 || r.sector() > capacity || n > capacity - r.sector()) {
            LOG.warn("blkif {}: discard of {} sectors past the end of the {}-sector disk, answered ERROR",
                    r.describe(), n, capacity);
            return new Outcome(BlkifOp.STATUS_ERROR, null);
        }
        // The engine takes ranges of bounded size (virtio's limits); a Xen discard may span the disk.
        int most = engine.limits().maxDiscardSectors();
        if (!engine.limits().discard() || most <= 0) return new Outcome(BlkifOp.STATUS_EOPNOTSUPP, null);
        List<BlockRange> batch = new ArrayList<>();
        for (long at = r.sector(), left = n; left > 0; ) {
            long len = Math.min(left, most);
            batch.add(new BlockRange(at, len, 0));
            at += len;
            left -= len;
            if (batch.size() == engine.limits().maxDiscardSeg() || left == 0) {
                BlockStatus s = engine.discard(batch);
                if (s != BlockStatus.OK) return Outcome.of(s);
                batch.clear();
            }
        }
        return Outcome.OKAY;
    }
}

package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.os.EventFd;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static dev.pvkit.sdk.vhostuser.FrontendRequest.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The request table is complete and says what it should: every request PVKit implements has exactly one row, with a
 * decode that yields the body type its wire shape calls for and a handler; and the requests that run holding every
 * ring's lock are exactly the stated ones.
 */
class RequestTableTest {

    /**
     * The requests that replace something every worker reads through while rings may run: the memory map (the three
     * memory-table requests) and the dirty log (its bitmap and its eventfd). Changing this list is a decision about
     * locking, to be made on purpose: see {@link RequestTable.Row}.
     */
    static final Set<FrontendRequest> LOCKING_ALL_RINGS = EnumSet.of(SET_MEM_TABLE, ADD_MEM_REG, REM_MEM_REG, SET_LOG_BASE, SET_LOG_FD);

    @Test
    void everyRequestHasExactlyOneRow() {
        Map<FrontendRequest, Integer> rows = new EnumMap<>(FrontendRequest.class);
        for (RequestTable.Row<?> row : RequestTable.declared()) rows.merge(row.request(), 1, Integer::sum);
        assertThat(rows.keySet()).as("requests with a row").containsExactlyInAnyOrder(FrontendRequest.values());
        assertThat(rows).allSatisfy((r, n) -> assertThat(n).as("rows for %s", r).isOne());
        for (FrontendRequest r : FrontendRequest.values()) {
            RequestTable.Row<?> row = RequestTable.of(r);
            assertThat(row.request()).isSameAs(r);
            assertThat(row.decode()).as("%s's decode", r).isNotNull();
            assertThat(row.handler()).as("%s's handler", r).isNotNull();
        }
    }

    @Test
    void everyRequestIdIsItsOwn() {
        assertThat(Arrays.stream(FrontendRequest.values()).mapToInt(FrontendRequest::id).distinct().count())
                .isEqualTo(FrontendRequest.values().length);
        for (FrontendRequest r : FrontendRequest.values()) assertThat(FrontendRequest.of(r.id())).isSameAs(r);
    }

    /** A body of the shape FrontendRequest checks decodes to the record for that shape. */
    @Test
    void everyDecodeYieldsTheBodyItsShapeCallsFor() {
        for (RequestTable.Row<?> row : RequestTable.declared()) {
            FrontendRequest r = row.request();
            Object body = row.decode().apply(new Message(r.id(), Message.VERSION, wellShaped(r.payload), new int[0]));
            Class<?> expected = switch (r.payload) {
                case NONE -> null;
                case U64 -> r.fds == FrontendRequest.Fds.UNLESS_NOFD ? Bodies.VringFd.class : Long.class;
                case VRING_STATE -> Bodies.VringState.class;
                case VRING_ADDR -> Bodies.VringAddress.class;
                case MEM_TABLE -> Bodies.MemoryTable.class;
                case LOG -> Bodies.Log.class;
                case CONFIG -> Bodies.Config.class;
                case INFLIGHT -> Bodies.Inflight.class;
                case SINGLE_REGION -> Bodies.SingleRegion.class;
            };
            if (expected == null) assertThat(body).as("%s has no body", r).isNull();
            else assertThat(body).as("%s's body", r).isInstanceOf(expected);
        }
    }

    @Test
    void theRequestsLockingAllRingsAreTheStatedOnes() {
        assertThat(RequestTable.lockingAllRings()).isEqualTo(LOCKING_ALL_RINGS);
    }

    /** The handlers behind those rows refuse to run without the locks, rather than race the workers. */
    @Test
    void anAllRingsHandlerWithoutTheLocksFailsLoudly() {
        EchoDevice device = new EchoDevice();
        ShrinkSeals seals = new ShrinkSeals(UnsealedFiles.SEAL);
        try (InflightTracking inflight = new InflightTracking(2, device, seals);
             Rings rings = new Rings(2, device, BackendObserver.NONE, inflight, "table-test", () -> { },
                     VhostUserBackend.Options.defaults().withRequestDrain(java.time.Duration.ZERO));
             DirtyLogging log = new DirtyLogging(rings, seals)) {
            EventFd unused = EventFd.create();
            try {
                assertThatThrownBy(() -> log.setFd(unused)).isInstanceOf(IllegalStateException.class).hasMessageContaining("SET_LOG_FD");
            } finally {
                unused.close();
            }
            EventFd taken = EventFd.create();
            rings.lockAll();
            try {
                log.setFd(taken); // closed with the log
            } finally {
                rings.unlockAll();
            }
        }
    }

    private static byte[] wellShaped(Payload p) {
        return switch (p) {
            case MEM_TABLE -> ByteBuffer.allocate(8 + 32).order(ByteOrder.nativeOrder()).putInt(1).array();
            case CONFIG -> new byte[12];
            default -> new byte[p.fixedSize];
        };
    }
}

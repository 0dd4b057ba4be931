package dev.pvkit.sdk.xen;

import dev.pvkit.sdk.xen.blkif.BlkifOp;
import dev.pvkit.sdk.xen.blkif.BlkifProtocol;
import dev.pvkit.sdk.xen.blkif.BlkifRequest;
import dev.pvkit.sdk.xen.netif.Netif;
import dev.pvkit.spec.Layout;
import dev.pvkit.spec.PvSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The Xen transport's numbers and layouts are the spec's: checked against its machine form. */
class XenSpecAgreementTest {
    private static final PvSpec SPEC = PvSpec.load();

    private static long offset(String layout, String field) {
        Layout l = SPEC.layout(layout).orElseThrow();
        return l.field(field).orElseThrow().offset().constant();
    }

    private static long size(String layout) {
        return SPEC.layout(layout).orElseThrow().size().constant();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"X86_64, blkif_request, blkif_request_discard, blkif_request_indirect, blkif_response",
            "X86_32, blkif_x86_32_request, blkif_x86_32_request_discard, blkif_x86_32_request_indirect, blkif_x86_32_response"})
    void blkifRequestsAndResponsesAreEncodedWhereTheSpecPlacesTheirFields(BlkifProtocol p, String request, String discard,
                                                                        String indirect, String response) {
        ByteBuffer b = ByteBuffer.allocate(p.slotSize()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(p.slotSize()).isEqualTo(Math.max(size(request), size(response)));
        BlkifRequest rw = new BlkifRequest(BlkifOp.WRITE, 1, 0x1234, 0x0102030405060708L, 0x1112131415161718L,
                List.of(new BlkifRequest.Segment(0x21222324, 1, 6)), 0, 0, 0, new int[0]);
        p.encodeRequest(b, rw);
        assertThat(b.getShort((int) offset(request, "handle"))).isEqualTo((short) 0x1234);
        assertThat(b.getLong((int) offset(request, "id"))).isEqualTo(0x0102030405060708L);
        assertThat(b.getLong((int) offset(request, "sector_number"))).isEqualTo(0x1112131415161718L);
        assertThat(b.getInt((int) offset(request, "seg"))).isEqualTo(0x21222324);
        assertThat(p.decode(b)).usingRecursiveComparison().isEqualTo(rw);

        BlkifRequest d = new BlkifRequest(BlkifOp.DISCARD, 0, 0x55, 9, 0x77, List.of(), 1, 0x0a0b0c0d0e0fL, 0, new int[0]);
        p.encodeRequest(b, d);
        assertThat(b.get((int) offset(discard, "flag"))).isEqualTo((byte) 1);
        assertThat(b.getLong((int) offset(discard, "nr_sectors"))).isEqualTo(0x0a0b0c0d0e0fL);

        int[] refs = {31, 32, 33, 34, 35, 36, 37, 38};
        BlkifRequest ind = new BlkifRequest(BlkifOp.INDIRECT, 700, 0x66, 10, 20, List.of(), 0, 0, BlkifOp.READ, refs);
        p.encodeRequest(b, ind);
        assertThat(b.get((int) offset(indirect, "indirect_op"))).isEqualTo((byte) BlkifOp.READ);
        assertThat(b.getShort((int) offset(indirect, "nr_segments"))).isEqualTo((short) 700);
        assertThat(b.getShort((int) offset(indirect, "handle"))).isEqualTo((short) 0x66);
        assertThat(b.getInt((int) offset(indirect, "indirect_grefs") + 28)).isEqualTo(38);

        p.encodeResponse(b, 0x0102030405060708L, BlkifOp.WRITE, BlkifOp.STATUS_EOPNOTSUPP);
        assertThat(b.remaining()).isEqualTo((int) size(response));
        assertThat(b.getLong((int) offset(response, "id"))).isEqualTo(0x0102030405060708L);
        assertThat(b.get((int) offset(response, "operation"))).isEqualTo((byte) BlkifOp.WRITE);
        assertThat(b.getShort((int) offset(response, "status"))).isEqualTo((short) -2);
    }

    @Test
    void netifSlotsAreTheSpecs() {
        assertThat(Netif.TX_SLOT).isEqualTo(size("netif_tx_request"));
        assertThat(Netif.RX_SLOT).isEqualTo(size("netif_rx_request"));
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        new Netif.TxRequest(0x01020304, 0x0506, 0x0708, 0x090a, 0x0b0c).encode(b);
        assertThat(b.getInt((int) offset("netif_tx_request", "gref"))).isEqualTo(0x01020304);
        assertThat(b.getShort((int) offset("netif_tx_request", "offset"))).isEqualTo((short) 0x0506);
        assertThat(b.getShort((int) offset("netif_tx_request", "flags"))).isEqualTo((short) 0x0708);
        assertThat(b.getShort((int) offset("netif_tx_request", "id"))).isEqualTo((short) 0x090a);
        assertThat(b.getShort((int) offset("netif_tx_request", "size"))).isEqualTo((short) 0x0b0c);
        new Netif.RxRequest(0x0102, 0x03040506).encode(b);
        assertThat(b.getShort((int) offset("netif_rx_request", "id"))).isEqualTo((short) 0x0102);
        assertThat(b.getInt((int) offset("netif_rx_request", "gref"))).isEqualTo(0x03040506);
        Netif.rxResponse(b, 1, 2, 3, -1);
        assertThat(b.getShort((int) offset("netif_rx_response", "offset"))).isEqualTo((short) 2);
        assertThat(b.getShort((int) offset("netif_rx_response", "flags"))).isEqualTo((short) 3);
        assertThat(b.getShort((int) offset("netif_rx_response", "status"))).isEqualTo((short) -1);
    }

    @Test
    void constantsAreTheSpecs() {
        assertThat(BlkifOp.READ).isEqualTo(SPEC.constant("xen.blkif.op", "READ"));
        assertThat(BlkifOp.WRITE).isEqualTo(SPEC.constant("xen.blkif.op", "WRITE"));
        assertThat(BlkifOp.WRITE_BARRIER).isEqualTo(SPEC.constant("xen.blkif.op", "WRITE_BARRIER"));
        assertThat(BlkifOp.FLUSH_DISKCACHE).isEqualTo(SPEC.constant("xen.blkif.op", "FLUSH_DISKCACHE"));
        assertThat(BlkifOp.DISCARD).isEqualTo(SPEC.constant("xen.blkif.op", "DISCARD"));
        assertThat(BlkifOp.INDIRECT).isEqualTo(SPEC.constant("xen.blkif.op", "INDIRECT"));
        assertThat(BlkifOp.STATUS_EOPNOTSUPP).isEqualTo(SPEC.constant("xen.blkif.status", "EOPNOTSUPP"));
        assertThat(BlkifOp.STATUS_ERROR).isEqualTo(SPEC.constant("xen.blkif.status", "ERROR"));
        assertThat(BlkifOp.MAX_DIRECT_SEGMENTS).isEqualTo(SPEC.constant("xen.blkif.limits", "MAX_SEGMENTS_PER_REQUEST"));
        assertThat(BlkifOp.MAX_INDIRECT_PAGES).isEqualTo(SPEC.constant("xen.blkif.limits", "MAX_INDIRECT_PAGES_PER_REQUEST"));
        assertThat(BlkifOp.DISCARD_SECURE).isEqualTo(SPEC.constant("xen.blkif.discard_flags", "SECURE"));
        assertThat(Netif.TXF_CSUM_BLANK).isEqualTo(SPEC.constant("xen.netif.tx_flags", "CSUM_BLANK"));
        assertThat(Netif.TXF_MORE_DATA).isEqualTo(SPEC.constant("xen.netif.tx_flags", "MORE_DATA"));
        assertThat(Netif.TXF_EXTRA_INFO).isEqualTo(SPEC.constant("xen.netif.tx_flags", "EXTRA_INFO"));
        assertThat(Netif.RXF_MORE_DATA).isEqualTo(SPEC.constant("xen.netif.rx_flags", "MORE_DATA"));
        assertThat(Netif.RSP_NULL).isEqualTo(SPEC.constant("xen.netif.rsp_status", "NULL"));
        assertThat(Netif.RSP_DROPPED).isEqualTo(SPEC.constant("xen.netif.rsp_status", "DROPPED"));
        assertThat(Netif.EXTRA_GSO).isEqualTo(SPEC.constant("xen.netif.extra_type", "GSO"));
        assertThat(Netif.EXTRA_HASH).isEqualTo(SPEC.constant("xen.netif.extra_type", "HASH"));
        assertThat(Netif.GSO_TCPV4).isEqualTo(SPEC.constant("xen.netif.gso_type", "TCPV4"));
        assertThat(GrantStatus.BAD_GNTREF).isEqualTo(SPEC.constant("xen.gnttab_status", "BAD_GNTREF"));
        assertThat(GrantStatus.PERMISSION_DENIED).isEqualTo(SPEC.constant("xen.gnttab_status", "PERMISSION_DENIED"));
        assertThat(GrantStatus.BAD_DOMAIN).isEqualTo(SPEC.constant("xen.gnttab_status", "BAD_DOMAIN"));
        for (XenbusState s : XenbusState.values()) {
            assertThat(s.code()).as(s.name()).isEqualTo(SPEC.constants("xen.xenbus_state").values().stream()
                    .filter(v -> v.name().replace("_", "").equalsIgnoreCase(s.name().replace("_", "")))
                    .findFirst().orElseThrow().value());
        }
        assertThat((long) RingGeometry.HEADER).isEqualTo(offset("xen_sring_header", "pad") + 44);
        assertThat((long) RingGeometry.RSP_EVENT).isEqualTo(offset("xen_sring_header", "rsp_event"));
    }
}

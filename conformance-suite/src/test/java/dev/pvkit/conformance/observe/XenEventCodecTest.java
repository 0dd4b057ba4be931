package dev.pvkit.conformance.observe;

import dev.pvkit.sdk.xen.XenbusState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What dom0's back-ends write is what the host's checks read: every kind of Xen event, nulls and unsigned values included. */
class XenEventCodecTest {
    @TempDir
    Path dir;

    @Test
    void everyKindOfEventComesBackEqual() throws Exception {
        List<Event> events = List.of(
                new XenEvent.FrontendState(1, XenbusState.INITIALISED, "3"),
                new XenEvent.FrontendState(2, XenbusState.UNKNOWN, null),
                new XenEvent.BackendState(3, XenbusState.CONNECTED, "vif"),
                new XenEvent.FrontendNode(4, "ring-ref", null),
                new XenEvent.ConnectRefused(5, null, "a limit"),
                new XenEvent.GrantRefused(6, -1, -3, true, "segment"),
                new XenEvent.RingAttached(7, 0, 4, 128, -2, 1, 0, 1, false),
                new XenEvent.RequestsPublished(8, 1, 0xffff_fffe, 2),
                new XenEvent.RingBroken(9, 0, "DRV-XRING-004", "req_prod ran ahead"),
                new XenEvent.BlkRequest(10, 1, 6, 1, 16, 2048, -5L, 0, null),
                new XenEvent.NetTransmit(11, 1, 3, 1, 9000, true, "DRV-XNET-005"));
        assertThat(events.stream().map(Object::getClass).distinct()).as("every kind covered")
                .hasSize(XenEvent.class.getPermittedSubclasses().length);
        Path f = dir.resolve("e.jsonl");
        XenEventCodec.write(events, f);
        assertThat(XenEventCodec.read(f)).isEqualTo(events);
    }

    @Test
    void aLineThatIsNoXenEventIsRefusedWithItsNumber() throws Exception {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"event\":\"FrontendNode\",\"micros\":1,\"key\":\"k\",\"value\":\"v\"}\n{\"event\":\"Nonsense\"}\n");
        assertThatThrownBy(() -> XenEventCodec.read(f)).hasMessageContaining("line 2").hasMessageContaining("not a Xen event");
    }
}

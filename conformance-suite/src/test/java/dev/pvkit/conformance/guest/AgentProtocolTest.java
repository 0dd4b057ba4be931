package dev.pvkit.conformance.guest;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentProtocolTest {

    @Test
    void classifiesLines() {
        assertThat(AgentProtocol.classify("PVKIT-AGENT READY 1 kernel=6.1.0-56-amd64")).isEqualTo(AgentProtocol.Kind.BANNER);
        assertThat(AgentProtocol.classify("OK")).isEqualTo(AgentProtocol.Kind.OK);
        assertThat(AgentProtocol.classify("OK sha256=ab")).isEqualTo(AgentProtocol.Kind.OK);
        assertThat(AgentProtocol.classify("ERR unsupported")).isEqualTo(AgentProtocol.Kind.ERR);
        assertThat(AgentProtocol.classify("| [    1.0] virtio_blk virtio1: [vda]")).isEqualTo(AgentProtocol.Kind.DATA);
        assertThat(AgentProtocol.classify("OKAY")).isEqualTo(AgentProtocol.Kind.NOISE);
        assertThat(AgentProtocol.classify("ERROR")).isEqualTo(AgentProtocol.Kind.NOISE);
        assertThat(AgentProtocol.classify("")).isEqualTo(AgentProtocol.Kind.NOISE);
    }

    @Test
    void parsesBannerAndResults() {
        AgentProtocol.Banner b = AgentProtocol.parseBanner("PVKIT-AGENT READY 1 kernel=6.1.0-56-amd64");
        assertThat(b.version()).isEqualTo(1);
        assertThat(b.kernel()).isEqualTo("6.1.0-56-amd64");
        assertThat(AgentProtocol.parseBanner("PVKIT-AGENT READY 2").kernel()).isEqualTo("unknown");
        assertThatThrownBy(() -> AgentProtocol.parseBanner("PVKIT-AGENT READY x")).isInstanceOf(IllegalArgumentException.class);

        AgentReply ok = AgentProtocol.result("OK sha256=00ff size=4", List.of("a"));
        assertThat(ok.ok()).isTrue();
        assertThat(ok.field("sha256")).isEqualTo("00ff");
        assertThat(ok.fields()).containsEntry("size", "4");
        assertThat(ok.data()).containsExactly("a");
        AgentReply err = AgentProtocol.result("ERR no block device vdz", List.of());
        assertThat(err.ok()).isFalse();
        assertThat(err.text()).isEqualTo("no block device vdz");
        assertThat(AgentProtocol.result("OK", List.of()).text()).isEmpty();
        assertThatThrownBy(() -> ok.field("missing")).isInstanceOf(AgentException.class);
        assertThatThrownBy(() -> AgentProtocol.result("| x", List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parsesInfoFields() {
        char[] b = "0".repeat(64).toCharArray();
        for (int bit : new int[]{1, 6, 9, 32}) b[bit] = '1';
        String bits = new String(b);
        BlockInfo i = BlockInfo.parse(AgentProtocol.fields("size=8388608 queues=2 block=512 ro=0 discard=0 "
                + "device=virtio1 driver=virtio_blk features=" + bits + " serial=pvkit"));
        assertThat(i.sizeBytes()).isEqualTo(8 << 20);
        assertThat(i.queues()).isEqualTo(2);
        assertThat(i.device()).isEqualTo("virtio1");
        assertThat(i.hasFeature(1)).isTrue();
        assertThat(i.hasFeature(6)).isTrue();
        assertThat(i.hasFeature(32)).as("VERSION_1").isTrue();
        assertThat(i.hasFeature(0)).isFalse();
        assertThat(BlockInfo.parseFeatures("-")).isEqualTo(-1);
    }

    @Test
    void commandsAreSingleWords() {
        assertThat(AgentProtocol.command("WRITE", "vda", 0, 4096, 7L)).isEqualTo("WRITE vda 0 4096 7");
        assertThatThrownBy(() -> AgentProtocol.command("INFO", "vda; reboot")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AgentProtocol.command("INFO", "")).isInstanceOf(IllegalArgumentException.class);
    }
}

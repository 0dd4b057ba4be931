package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.frontend.SingleFileGuest;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.pvkit.sdk.vhostuser.EchoDevice.echo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A session's end is reported with its true cause. In CI a session thread died of an unexpected exception and its
 * end was logged as "front-end closed the connection"; here a device hook that throws on the control thread stands
 * in for any such failure.
 */
class SessionEndTest {
    static final long A = 0x100000, MiB = 1 << 20;
    static final long FEATURES = VirtioFeatures.bit(VirtioFeatures.VERSION_1);

    @TempDir
    Path dir;
    VhostUserBackend backend;
    final RejectionRecorder recorder = new RejectionRecorder();

    @AfterEach
    void stop() {
        if (backend != null) backend.close();
    }

    @Test
    void aSessionThatFailsIsReportedWithItsCauseAndTheNextIsServed() {
        EchoDevice device = new EchoDevice() {
            @Override
            public void statusChanged(int status) {
                if (status == 0x7f) throw new IllegalStateException("status hook broke");
            }
        };
        backend = VhostUserBackend.serve(device, dir.resolve("end.sock"), VhostUserBackend.Options.defaults().withObserver(recorder));
        try (CapturedStderr log = new CapturedStderr()) {
            try (SingleFileGuest guest = guest(); VirtioFrontend fe = start(guest)) {
                assertThatThrownBy(() -> fe.vhost().setStatus(0x7f)).isInstanceOf(RuntimeException.class);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> !recorder.ended.isEmpty());
            assertThat(recorder.ended).containsExactly("failed: java.lang.IllegalStateException: status hook broke");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> log.text().contains("vhost-user session ended: failed: java.lang.IllegalStateException: status hook broke"));
            assertThat(log.text()).doesNotContain("front-end closed the connection");

            try (SingleFileGuest guest = guest(); VirtioFrontend fe = start(guest)) {
                echo(guest.memory(), fe.addQueue(0, 16, A, IndirectArea.NONE), A + 0x80000, A + 0x90000);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.ended.size() == 2);
            assertThat(recorder.ended.get(1)).isEqualTo("front-end closed the connection");
        }
    }

    private static SingleFileGuest guest() {
        return SingleFileGuest.create("end-guest", MiB, List.of(new SingleFileGuest.Part(A, MiB, 0)));
    }

    private VirtioFrontend start(SingleFileGuest guest) {
        return VirtioFrontend.start(backend.socketPath(), guest.shared(), FEATURES, ProtocolFeatures.OFFERED);
    }
}

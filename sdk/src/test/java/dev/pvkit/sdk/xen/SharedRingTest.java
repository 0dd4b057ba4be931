package dev.pvkit.sdk.xen;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The two ends of a shared ring agree on sizes, slots, the notify rule and the final check, across the 2^32 wrap. */
class SharedRingTest {

    @Test
    void ringSizesAreTheLargestPowerOfTwoThatFits() {
        assertThat(RingGeometry.entries(4096, 112)).isEqualTo(32);
        assertThat(RingGeometry.entries(4096, 108)).isEqualTo(32);
        assertThat(RingGeometry.entries(4096, 12)).isEqualTo(256);
        assertThat(RingGeometry.entries(4096, 8)).isEqualTo(256);
        assertThat(RingGeometry.entries(4 * 4096, 112)).isEqualTo(128);
    }

    @Test
    void theNotifyRuleIsTheSpecsWindowAndWrapSafe() {
        assertThat(RingGeometry.mustNotify(5, 8, 6)).isTrue();
        assertThat(RingGeometry.mustNotify(5, 8, 9)).isFalse();
        assertThat(RingGeometry.mustNotify(5, 8, 5)).isFalse();
        assertThat(RingGeometry.mustNotify(5, 8, 8)).isTrue();
        assertThat(RingGeometry.mustNotify(0xFFFFFFFE, 1, 0xFFFFFFFF)).isTrue();
    }

    @Test
    void requestsAndResponsesCrossPageBoundariesAndTheIndexWrap() {
        ByteBuffer[] pages = {ByteBuffer.allocateDirect(4096), ByteBuffer.allocateDirect(4096)};
        int slot = 112;
        FrontendRing fe = new FrontendRing(new RingPages(pages), slot, -20);
        List<String> events = new ArrayList<>();
        BackendRing be = new BackendRing(0, new RingPages(pages), slot, new XenObserver() {
            @Override
            public void ringBroken(int ring, String requirement, String detail) {
                events.add(requirement);
            }
        });
        assertThat(fe.entries()).isEqualTo(64).isEqualTo(be.entries());
        ByteBuffer req = ByteBuffer.allocate(slot);
        ByteBuffer copy = ByteBuffer.allocate(slot);
        int sent = 0;
        for (int round = 0; round < 10; round++) {
            int n = 1 + round * 7 % 64;
            for (int i = 0; i < n; i++) {
                req.clear();
                for (int k = 0; k < slot; k++) req.put((byte) (sent + k));
                fe.queueRequest(req.flip());
                sent++;
            }
            boolean notify = fe.pushRequests();
            assertThat(notify).as("the back-end re-armed req_event, so a push notifies").isTrue();
            assertThat(be.available()).isEqualTo(n);
            for (int i = 0; i < n; i++) {
                ByteBuffer got = be.takeRequest(copy);
                int first = got.get(0) & 0xff;
                for (int k = 0; k < slot; k++) assertThat(got.get(k)).isEqualTo((byte) (first + k));
                be.putResponse(ByteBuffer.wrap(new byte[]{(byte) first}));
            }
            assertThat(be.pushResponses()).isTrue();
            assertThat(be.finalCheckForRequests()).isFalse();
            int responses = 0;
            while (fe.takeResponse(ByteBuffer.allocate(slot)) != null) responses++;
            assertThat(responses).isEqualTo(n);
            assertThat(fe.finalCheckForResponses()).isFalse();
        }
        assertThat(be.requestConsumer()).isEqualTo(-20 + sent);
        assertThat(events).isEmpty();
    }

    @Test
    void aBackendThatHasNotRearmedIsNotNotifiedAndAnOverrunBreaksTheRing() {
        ByteBuffer page = ByteBuffer.allocateDirect(4096);
        FrontendRing fe = new FrontendRing(new RingPages(page), 112);
        List<String> broken = new ArrayList<>();
        BackendRing be = new BackendRing(0, new RingPages(page), 112, new XenObserver() {
            @Override
            public void ringBroken(int ring, String requirement, String detail) {
                broken.add(requirement);
            }
        });
        fe.queueRequest(ByteBuffer.allocate(112));
        assertThat(fe.pushRequests()).isTrue();     // req_event starts at 1
        fe.queueRequest(ByteBuffer.allocate(112));
        assertThat(fe.pushRequests()).as("req_event 1 already passed").isFalse();
        assertThat(be.available()).isEqualTo(2);
        page.putInt(RingGeometry.REQ_PROD, 33);
        assertThat(be.available()).isZero();
        assertThat(be.broken()).isTrue();
        assertThat(broken).containsExactly("DEV-XRING-004");
    }
}

package dev.pvkit.sdk.xen;

import dev.pvkit.sdk.xen.emulated.EmulatedDomain;
import dev.pvkit.sdk.xen.emulated.EmulatedXen;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The emulated hypervisor enforces what Xen enforces, so a front-end's mistake fails here as it would there. */
class EmulatedPlatformTest {
    private final EmulatedXen xen = new EmulatedXen();
    private final EmulatedDomain dom0 = xen.domain(0);
    private final EmulatedDomain domU = xen.domain(5);

    @AfterEach
    void close() {
        xen.close();
    }

    @Test
    void aGrantMapsOnlyForItsGranteeWithTheAccessItPermitsAndSharesThePage() {
        ByteBuffer page = domU.allocatePage();
        int ro = domU.grantAccess(0, page, true);
        int rw = domU.grantAccess(0, page, false);
        int other = domU.grantAccess(7, page, false);
        assertThat(ro).isGreaterThanOrEqualTo(8);   // 0–7 are reserved
        assertThatThrownBy(() -> dom0.grants().map(5, new int[]{ro}, true))
                .isInstanceOfSatisfying(GrantException.class, e -> assertThat(e.status()).isEqualTo(GrantStatus.PERMISSION_DENIED));
        assertThatThrownBy(() -> dom0.grants().map(5, new int[]{other}, false))
                .isInstanceOfSatisfying(GrantException.class, e -> assertThat(e.status()).isEqualTo(GrantStatus.PERMISSION_DENIED));
        assertThatThrownBy(() -> dom0.grants().map(5, new int[]{4000}, false))
                .isInstanceOfSatisfying(GrantException.class, e -> assertThat(e.status()).isEqualTo(GrantStatus.BAD_GNTREF));
        assertThatThrownBy(() -> dom0.grants().map(9, new int[]{rw}, false))
                .isInstanceOfSatisfying(GrantException.class, e -> assertThat(e.status()).isEqualTo(GrantStatus.BAD_DOMAIN));
        try (GrantMapping m = dom0.grants().map(5, new int[]{rw}, true)) {
            m.page(0).put(100, (byte) 42);
            assertThat(page.get(100)).isEqualTo((byte) 42);
            assertThat(domU.endAccess(rw)).as("revoking a mapped grant").isFalse();
        }
        assertThat(domU.endAccess(rw)).isTrue();
        try (GrantMapping m = dom0.grants().map(5, new int[]{ro}, false)) {
            assertThatThrownBy(() -> m.page(0).put(0, (byte) 1)).isInstanceOf(java.nio.ReadOnlyBufferException.class);
        }
    }

    @Test
    void aMappingOfSeveralPagesIsAllOrNothing() {
        int good = domU.grantAccess(0, domU.allocatePage(), false);
        assertThatThrownBy(() -> dom0.grants().map(5, new int[]{good, 999}, true)).isInstanceOf(GrantException.class);
        assertThat(domU.grantInUse(good)).isFalse();
    }

    @Test
    void eventsCoalesceAndBindingLeavesOnePending() throws Exception {
        AtomicInteger frontEvents = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        List<String> backEvents = new CopyOnWriteArrayList<>();
        int port = domU.allocUnbound(0, frontEvents::incrementAndGet);
        EventChannels.EventChannel ch = dom0.events().bindInterdomain(5, port, () -> {
            backEvents.add("event");
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        await().atMost(5, TimeUnit.SECONDS).until(() -> backEvents.size() == 1);   // the bind's own event
        for (int i = 0; i < 5; i++) domU.send(port);   // while the handler runs: one pending bit
        release.countDown();
        xen.quiesce();
        assertThat(backEvents).hasSize(2);
        ch.notifyPeer();
        xen.quiesce();
        assertThat(frontEvents.get()).isEqualTo(1);
        assertThatThrownBy(() -> dom0.events().bindInterdomain(5, port, () -> { })).isInstanceOf(XenException.class);
        ch.close();
        // Closed: the front-end's port is unbound again and can be bound anew.
        dom0.events().bindInterdomain(5, port, () -> { }).close();
    }

    @Test
    void aPortLeftUnboundForAnotherDomainCannotBeBound() {
        int port = domU.allocUnbound(3, () -> { });
        assertThatThrownBy(() -> dom0.events().bindInterdomain(5, port, () -> { })).isInstanceOf(XenException.class);
    }

    @Test
    void watchesFireOnRegistrationAndOnChangesBelowAndTransactionsConflict() throws Exception {
        XenStore s = dom0.store();
        List<String> seen = new CopyOnWriteArrayList<>();
        XenStore.Watch w = s.watch("/local/domain/5/device", seen::add);
        s.write("/local/domain/5/device/vbd/1/state", "1");
        s.write("/local/domain/6/other", "x");
        xen.quiesce();
        assertThat(seen).containsExactly("/local/domain/5/device", "/local/domain/5/device/vbd/1/state");
        assertThat(s.directory("/local/domain/5/device/vbd")).containsExactly("1");
        assertThat(s.read("/local/domain/5/device/vbd")).contains("");

        XenStore.Transaction t = s.begin();
        t.write("/local/domain/5/device/vbd/1/state", "3");
        assertThat(t.read("/local/domain/5/device/vbd/1/state")).contains("3");
        assertThat(s.read("/local/domain/5/device/vbd/1/state")).contains("1");
        domU.store().write("/local/domain/5/unrelated", "y");
        assertThat(t.commit()).as("commit after a concurrent write").isFalse();
        assertThat(s.read("/local/domain/5/device/vbd/1/state")).contains("1");

        AtomicInteger attempts = new AtomicInteger();
        s.inTransaction(tx -> {
            if (attempts.incrementAndGet() == 1) domU.store().write("/local/domain/5/noise", "z");
            tx.write("/local/domain/5/device/vbd/1/state", "4");
        });
        assertThat(attempts.get()).isEqualTo(2);
        assertThat(s.read("/local/domain/5/device/vbd/1/state")).contains("4");
        s.remove("/local/domain/5/device");
        assertThat(s.read("/local/domain/5/device/vbd/1/state")).isEmpty();
        w.close();
        assertThatThrownBy(() -> s.write("relative/path", "1")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void numbersInNodesAreDecimalOnly() {
        assertThat(XenNumbers.u32("4294967295")).hasValue(4294967295L);
        assertThat(XenNumbers.u32("4294967296")).isEmpty();
        for (String bad : List.of("", "0x10", "-1", " 1", "1 ", "+1", "1e3", "٣")) {
            assertThat(XenNumbers.u32(bad)).as(bad).isEmpty();
        }
        assertThat(XenbusState.parse("4")).contains(XenbusState.CONNECTED);
        assertThat(XenbusState.parse("9")).isEmpty();
        assertThat(XenbusState.of(java.util.Optional.of("junk"))).isEqualTo(XenbusState.UNKNOWN);
    }
}

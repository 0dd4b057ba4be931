package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.frontend.VhostUserFrontend;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.virtqueue.SplitRing;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import dev.pvkit.sdk.virtqueue.driver.SplitDriverQueue;

/**
 * The raw handshake tests use when they drive a ring by hand: features, owner, one memory region, and queue 0 as a
 * split ring of {@code size} entries at the start of guest memory, started with the given eventfds. Returns the
 * driver's side.
 */
final class OneSplitRing {
    private OneSplitRing() {
    }

    static SplitDriverQueue start(VhostUserFrontend v, OwnedGuestMemory guest, long guestBase, int size, long features,
                                  EventFd kick, EventFd call) {
        v.getFeatures();
        v.setOwner();
        v.setFeatures(features);
        v.setMemTable(guest);
        long desc = guestBase, avail = guestBase + 0x8000, used = guestBase + 0xc000;
        long user = guest.memory().regions().get(0).userAddress() - guestBase;
        SplitDriverQueue driver = new SplitDriverQueue(guest.memory(), new SplitRing(size, desc, avail, used), features,
                IndirectArea.NONE, 0);
        v.setVringNum(0, size);
        v.setVringAddr(0, user + desc, user + used, user + avail);
        v.setVringBase(0, 0);
        v.setVringCall(0, call);
        v.setVringKick(0, kick);
        return driver;
    }
}

package dev.pvkit.conformance.live;

import dev.pvkit.backends.blk.BlkOptions;
import dev.pvkit.backends.blk.FileBlockStore;
import dev.pvkit.backends.blk.VirtioBlkDevice;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;

import java.nio.file.Path;

/**
 * A back-end process for {@link BlkDurabilityLiveTest} (reference-backends' BlkBackendMain is a test class of that
 * module, not on this classpath): serves a {@link FileBlockStore} over vhost-user and prints READY.
 * Arguments: socket, backing file, size in bytes, queues.
 */
public final class LiveBlkBackendMain {
    private LiveBlkBackendMain() {
    }

    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        long size = Long.parseLong(args[2]);
        int queues = Integer.parseInt(args[3]);
        try (FileBlockStore store = FileBlockStore.create(Path.of(args[1]), size);
             VhostUserBackend b = VhostUserBackend.serve(
                     new VirtioBlkDevice(store, BlkOptions.defaults(size).withQueues(queues).withSerial("pvkit-durable")),
                     socket, VhostUserBackend.Options.defaults().withWorkers(queues))) {
            System.out.println("READY");
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}

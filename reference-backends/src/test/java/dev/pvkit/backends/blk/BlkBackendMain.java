package dev.pvkit.backends.blk;

import dev.pvkit.sdk.vhostuser.VhostUserBackend;

import java.nio.file.Path;

/** A back-end process for the durability test: serves a {@link FileBlockStore} on {@code args[1]} at socket {@code args[0]}. */
public final class BlkBackendMain {
    private BlkBackendMain() {
    }

    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        long size = Long.parseLong(args[2]);
        try (FileBlockStore store = FileBlockStore.create(Path.of(args[1]), size);
             VhostUserBackend b = VhostUserBackend.serve(new VirtioBlkDevice(store, BlkOptions.defaults(size)), socket)) {
            System.out.println("READY");
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}

package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.virtqueue.Chain;

import java.nio.file.Path;

/**
 * A back-end process for the kill-and-restart test: serves an {@link EchoDevice} whose requests starting with 'S'
 * stall for {@code args[1]} milliseconds after printing {@code TAKEN}, so the test knows a request is in flight.
 */
public final class InflightBackendMain {
    private InflightBackendMain() {
    }

    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        long stallMillis = Long.parseLong(args[1]);
        EchoDevice echo = new EchoDevice() {
            @Override
            public long process(int queue, Chain chain, GuestMemory memory) {
                byte first = chain.readable().isEmpty() ? 0 : memory.readU8(chain.readable().get(0).address());
                if (first == 'S') {
                    System.out.println("TAKEN " + chain.id());
                    System.out.flush();
                    try {
                        Thread.sleep(stallMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return super.process(queue, chain, memory);
            }
        };
        try (VhostUserBackend b = VhostUserBackend.serve(echo, socket)) {
            System.out.println("READY");
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}

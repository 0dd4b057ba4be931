package dev.pvkit.sdk.os;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SyscallsTest {

    @Test
    void failuresNameTheCallAndErrno() {
        assertThatThrownBy(() -> MappedMemory.shared(-1, 0, 4096))
                .isInstanceOf(NativeCallException.class)
                .hasMessageStartingWith("mmap failed: errno 9")      // EBADF
                .hasMessageContaining("fd -1");
        assertThatThrownBy(() -> Syscalls.close(-1))
                .isInstanceOf(NativeCallException.class)
                .satisfies(e -> assertThat(((NativeCallException) e).call()).isEqualTo("close"));
    }

    @Test
    void memfdCanBeSizedMappedAndClosed() {
        try (Memfd f = Memfd.create("test", 8192); MappedMemory m = f.map()) {
            assertThat(f.fd()).isGreaterThan(2);
            assertThat(m.length()).isEqualTo(8192);
            m.chunkAt(0).putLong(8184, 42L);
            assertThat(m.chunkAt(0).getLong(8184)).isEqualTo(42L);
            assertThatThrownBy(() -> m.chunkAt(0).getLong(8185)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }
}

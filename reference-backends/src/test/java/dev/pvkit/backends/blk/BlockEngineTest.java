package dev.pvkit.backends.blk;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The engine and the stores alone, without virtio. */
class BlockEngineTest {
    @TempDir
    Path dir;

    /** Counts flushes; can be told to fail. */
    static final class CountingStore extends ForwardingBlockStore {
        final AtomicInteger flushes = new AtomicInteger();
        volatile boolean fail;

        CountingStore(long size) {
            super(new MemoryBlockStore(size));
        }

        @Override public void read(long offset, ByteBuffer dst) throws IOException { check(); super.read(offset, dst); }
        @Override public void write(long offset, ByteBuffer src) throws IOException { check(); super.write(offset, src); }
        @Override public void flush() throws IOException { check(); flushes.incrementAndGet(); super.flush(); }

        private void check() throws IOException {
            if (fail) throw new IOException("injected failure");
        }
    }

    static BlockEngine engine(BlockStore s) {
        return new BlockEngine(s, s.size() / 512, false, BlockLimits.defaults(), "unit");
    }

    @Test
    void writeThroughFlushesEveryWriteAndWritebackOnlyOnFlush() {
        CountingStore s = new CountingStore(1 << 20);
        BlockEngine e = engine(s);
        assertThat(e.write(0, ByteBuffer.allocate(512))).isEqualTo(BlockStatus.OK);
        assertThat(s.flushes).hasValue(0);
        assertThat(e.flush()).isEqualTo(BlockStatus.OK);
        assertThat(s.flushes).hasValue(1);
        e.setWriteThrough(true);
        e.write(0, ByteBuffer.allocate(512));
        e.writeZeroes(List.of(new BlockRange(0, 1, 0)));
        e.discard(List.of(new BlockRange(0, 1, 0)));
        assertThat(s.flushes).hasValue(4);
    }

    @Test
    void storeFailuresBecomeIoerrNotExceptions() {
        CountingStore s = new CountingStore(1 << 20);
        BlockEngine e = engine(s);
        s.fail = true;
        assertThat(e.write(0, ByteBuffer.allocate(512))).isEqualTo(BlockStatus.IOERR);
        assertThat(e.read(0, ByteBuffer.allocate(512))).isEqualTo(BlockStatus.IOERR);
        assertThat(e.flush()).isEqualTo(BlockStatus.IOERR);
        assertThat(e.read(0, 512, chunk -> { throw new IllegalStateException("guest memory gone"); })).isEqualTo(BlockStatus.IOERR);
    }

    @Test
    void inPlaceRequestsAreValidatedBeforeTheirDataMoves() {
        MemoryBlockStore s = new MemoryBlockStore(1 << 20);
        BlockEngine e = engine(s);
        AtomicInteger calls = new AtomicInteger();
        BlockEngine.ReadTarget target = (store, offset, bytes) -> calls.incrementAndGet();
        BlockEngine.WriteSource source = (store, offset, bytes) -> calls.incrementAndGet();
        assertThat(e.readInto(2047, 1024, target)).as("past the capacity").isEqualTo(BlockStatus.IOERR);
        assertThat(e.writeFrom(0, 100, source)).as("not whole sectors").isEqualTo(BlockStatus.IOERR);
        assertThat(new BlockEngine(s, 2048, true, BlockLimits.defaults(), "ro").writeFrom(0, 512, source)).isEqualTo(BlockStatus.IOERR);
        assertThat(calls).as("no data moved for an invalid request").hasValue(0);

        assertThat(e.writeFrom(3, 1024, (store, offset, bytes) -> {
            assertThat(offset).isEqualTo(3 * 512);
            store.write(offset, ByteBuffer.allocateDirect((int) bytes).put(0, (byte) 5));
        })).isEqualTo(BlockStatus.OK);
        assertThat(e.readInto(3, 1024, (store, offset, bytes) -> {
            ByteBuffer b = ByteBuffer.allocateDirect((int) bytes);
            store.read(offset, b);
            assertThat(b.get(0)).isEqualTo((byte) 5);
            throw new java.io.IOException("target gone");
        })).as("a failing target").isEqualTo(BlockStatus.IOERR);
    }

    @Test
    void largeRequestsMoveInBoundedChunks() {
        BlockEngine e = engine(new MemoryBlockStore(4 << 20));
        AtomicInteger largest = new AtomicInteger();
        assertThat(e.write(0, 3 << 20, chunk -> {
            largest.accumulateAndGet(chunk.remaining(), Math::max);
            while (chunk.hasRemaining()) chunk.put((byte) 7);
        })).isEqualTo(BlockStatus.OK);
        assertThat(largest.get()).isLessThanOrEqualTo(BlockEngine.CHUNK);
        ByteBuffer back = ByteBuffer.allocate(3 << 20);
        assertThat(e.read(0, back)).isEqualTo(BlockStatus.OK);
        for (int i = 0; i < back.capacity(); i++) assertThat(back.get(i)).isEqualTo((byte) 7);
    }

    @Test
    void rangeValidationOrder() {
        BlockEngine e = new BlockEngine(new MemoryBlockStore(1 << 20), 2048, false, new BlockLimits(true, 16, 2, 1, true, 16, 2, false), "x");
        assertThat(e.discard(List.of(new BlockRange(0, 100, 0), new BlockRange(0, 1, 2)))).as("reserved flag wins").isEqualTo(BlockStatus.UNSUPP);
        assertThat(e.writeZeroes(List.of(new BlockRange(0, 1, 0), new BlockRange(0, 1, 0), new BlockRange(0, 1, 4))))
                .as("reserved flag wins over too many ranges").isEqualTo(BlockStatus.UNSUPP);
        assertThat(e.discard(List.of(new BlockRange(0, 1, 0), new BlockRange(0, 1, 0), new BlockRange(0, 1, BlockRange.UNMAP))))
                .as("UNMAP in a discard wins over too many ranges").isEqualTo(BlockStatus.UNSUPP);
        assertThat(e.discard(List.of(new BlockRange(0, 17, 0)))).isEqualTo(BlockStatus.IOERR);
        assertThat(e.discard(List.of(new BlockRange(2040, 9, 0)))).isEqualTo(BlockStatus.IOERR);
        assertThat(e.discard(List.of(new BlockRange(2040, 8, 0)))).isEqualTo(BlockStatus.OK);
        assertThat(e.writeZeroes(List.of(new BlockRange(0, 1, 0), new BlockRange(0, 1, 0), new BlockRange(0, 1, 0)))).isEqualTo(BlockStatus.IOERR);
        assertThat(e.writeZeroes(List.of(new BlockRange(0, 1, BlockRange.UNMAP)))).isEqualTo(BlockStatus.OK);
    }

    @Test
    void readOnlyEngineStoresNothing() {
        MemoryBlockStore s = new MemoryBlockStore(1 << 20);
        BlockEngine e = new BlockEngine(s, 2048, true, BlockLimits.defaults(), "ro");
        assertThat(e.write(0, ByteBuffer.wrap(new byte[512]).put(0, (byte) 1))).isEqualTo(BlockStatus.IOERR);
        assertThat(e.writeZeroes(List.of(new BlockRange(0, 1, 0)))).isEqualTo(BlockStatus.IOERR);
        assertThat(e.flush()).isEqualTo(BlockStatus.OK);
    }

    @Test
    void idMustBeAtMostTwentyAsciiCharacters() {
        assertThat(BlockEngine.idBytes("abc")).hasSize(20).startsWith('a', 'b', 'c', 0);
        assertThatThrownBy(() -> BlockEngine.idBytes("123456789012345678901")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BlockEngine.idBytes("disk-é")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fileStoreRoundTripsZeroesAndFlushes() throws Exception {
        Path f = dir.resolve("disk.img");
        try (FileBlockStore s = FileBlockStore.create(f, 1 << 20)) {
            assertThat(s.size()).isEqualTo(1 << 20);
            BlockEngine e = engine(s);
            byte[] data = new byte[4096];
            new java.util.Random(1).nextBytes(data);
            assertThat(e.write(8, ByteBuffer.wrap(data))).isEqualTo(BlockStatus.OK);
            assertThat(e.flush()).isEqualTo(BlockStatus.OK);
            assertThat(e.writeZeroes(List.of(new BlockRange(9, 1, 0)))).isEqualTo(BlockStatus.OK);
            ByteBuffer back = ByteBuffer.allocate(4096);
            e.read(8, back);
            for (int i = 0; i < 4096; i++) assertThat(back.get(i)).isEqualTo(i >= 512 && i < 1024 ? 0 : data[i]);
        }
        assertThat(Files.size(f)).isEqualTo(1 << 20);
        try (FileBlockStore ro = FileBlockStore.open(f, true)) {
            assertThat(ro.readOnly()).isTrue();
            assertThat(engine(ro).readOnly()).isTrue();
            assertThat(engine(ro).write(0, ByteBuffer.allocate(512))).isEqualTo(BlockStatus.IOERR);
        }
    }

    @Test
    void memoryStoreFreesWholePagesAndClearsPartialOnes() throws Exception {
        MemoryBlockStore s = new MemoryBlockStore(3L * MemoryBlockStore.PAGE);
        byte[] ones = new byte[(int) s.size()];
        java.util.Arrays.fill(ones, (byte) 1);
        s.write(0, ByteBuffer.wrap(ones));
        s.discard(100, 2L * MemoryBlockStore.PAGE);
        ByteBuffer b = ByteBuffer.allocate((int) s.size());
        s.read(0, b);
        for (int i = 0; i < b.capacity(); i++) assertThat(b.get(i)).isEqualTo(i >= 100 && i < 100 + 2 * MemoryBlockStore.PAGE ? 0 : (byte) 1);
    }

    /** Every call reaches the wrapped store unchanged, and every {@link BlockStore} method is forwarded. */
    @Test
    void forwardingStorePassesEveryCallOn() throws Exception {
        List<String> calls = new ArrayList<>();
        BlockStore recorder = (BlockStore) Proxy.newProxyInstance(BlockStore.class.getClassLoader(),
                new Class<?>[]{BlockStore.class}, (proxy, m, args) -> {
                    calls.add(m.getName() + (args == null ? "" : Arrays.toString(args)));
                    return m.getReturnType() == long.class ? 42L : m.getReturnType() == boolean.class ? Boolean.TRUE : null;
                });
        BlockStore f = new ForwardingBlockStore(recorder) {
        };
        ByteBuffer b = ByteBuffer.allocate(8);
        assertThat(f.size()).isEqualTo(42);
        assertThat(f.readOnly()).isTrue();
        f.read(0, b);
        f.write(8, b);
        f.flush();
        f.discard(512, 1024);
        f.writeZeroes(2048, 512, true);
        f.close();
        assertThat(calls).containsExactly("size", "readOnly", "read[0, " + b + "]", "write[8, " + b + "]", "flush",
                "discard[512, 1024]", "writeZeroes[2048, 512, true]", "close");
        for (Method m : BlockStore.class.getMethods()) {
            assertThat(ForwardingBlockStore.class.getDeclaredMethod(m.getName(), m.getParameterTypes())).as(m.getName()).isNotNull();
        }
    }
}
